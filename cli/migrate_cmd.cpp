// keyref migrate PATH: rewrites legacy profiles (`api_key_env: "X"`, a
// literal `apiKey`) to apiKeyRef, with the same rules as
// ProfileStore.migrate (docs/profiles.md): nothing guessed from a value,
// each file replaced atomically by rename, no backup or copy of the old
// file. A literal key is stored in a backend only after an explicit yes
// (the prompt, or --yes), and it only ever sits in wiped memory here.
#include <sys/stat.h>

#include <map>

#include "backends.h"
#include "cli.h"
#include "keyref/base_url.h"
#include "profile_files.h"
#include "terminal.h"

namespace keyref::cli {
namespace {

struct Entry {
  std::string id, file, action, how, ref;
  std::vector<std::string> from;
  CliError error;
  bool failed = false;
};

Json EntryJson(const Entry& e) {
  Json j = {{"id", e.id}, {"file", e.file}, {"action", e.action}};
  j["from"] = e.from;
  if (!e.how.empty()) j["how"] = e.how;
  if (!e.ref.empty()) j["apiKeyRef"] = e.ref;
  if (!e.error.code.empty()) j["error"] = ErrorJson(e.error);
  return j;
}

void Fail(Entry* e, const CliError& err) {
  e->action = "failed";
  e->failed = true;
  e->error = err;
}

CliError Err(ErrorCode code, const std::string& message,
             const std::string& hint = {}) {
  return CliError{ErrorCodeName(code), message, hint, ExitFor(code)};
}

struct Run {
  Context* ctx;
  const Args* args;
  bool dry_run;
  Backend backend;
  Instance* inst;
  // The config records of the keys stored, saved at the end.
  std::map<std::string, SecretRecord> recorded = {};
};

// Stores the legacy key under NAME = the profile id, refusing to replace a
// different key stored under that name.
bool StoreLegacyKey(Run& run, const std::string& id, const WipedString& key,
                    const std::string& origin, Entry* e) {
  SecretValue value = SecretValue::FromBytes(key.data(), key.size());
  const std::string ref_text = RefFor(run.backend, id);
  ParsedRef ref = ParseRef(ref_text, SchemeSet::All()).value();
  Result<LiveSecret> existing = run.inst->Resolve(ref);
  if (existing.ok() && !existing.value().value().Equals(value)) {
    Fail(e, Err(ErrorCode::kProfileInvalid,
                "a different key is stored as " + ref_text +
                    " already; the file was left as it is",
                "Remove it first (keyref secret rm " + id +
                    ") if it is stale, then migrate again."));
    return false;
  }
  if (!existing.ok()) {
    // The key is bound to the profile's own origin, as `profile create`
    // binds it (an origin the pattern rules refuse binds nothing).
    std::vector<OriginPattern> origins;
    if (!origin.empty()) {
      if (Result<OriginPattern> o = ParseOriginPattern(origin); o.ok()) {
        origins.push_back(std::move(o).value());
      }
    }
    Status st = StoreInBackend(*run.inst, run.backend, id, value, origins);
    if (!st) {
      CliError err = FromCore(st.error());
      err.message = "storing the key failed (" + err.code +
                    "); the file was left as it is";
      err.hint = HintFor(ref, st.error(), run.ctx->config);
      Fail(e, err);
      return false;
    }
  }
  run.recorded[id] = SecretRecord{BackendName(run.backend), ref_text, NowUtc()};
  run.ctx->config.secrets[id] = run.recorded[id];
  return true;
}

Entry MigrateOne(Run& run, const std::string& file) {
  Entry e;
  e.file = file;
  e.id = IdOfFile(file);
  e.action = "unchanged";
  Result<ProfileJson> parsed = ReadProfileFile(file);
  if (!parsed.ok()) {
    e.error = FromCore(parsed.error());
    return e;
  }
  ProfileJson& p = parsed.value();
  const bool has_key = p.contains("apiKey");
  const bool has_env = p.contains("api_key_env");
  if (!has_key && !has_env) return e;
  if (has_key) e.from.push_back("apiKey");
  if (has_env) e.from.push_back("api_key_env");
  // The file is replaced by a new one (rename): through a symbolic link or
  // a second hard link, the old text, key and all, would stay where the
  // other name points while this one said "migrated".
  struct stat ls;
  if (lstat(file.c_str(), &ls) == 0 &&
      (S_ISLNK(ls.st_mode) || ls.st_nlink > 1)) {
    Fail(&e, Err(ErrorCode::kProfileInvalid,
                 S_ISLNK(ls.st_mode)
                     ? "is a symbolic link; migrating it would leave the "
                       "file it points to, key and all, as it is. Migrate "
                       "that file instead"
                     : "has another hard link; migrating it would leave the "
                       "key in the other name. Remove the other link first"));
    return e;
  }
  if (!ValidProfileId(e.id)) {
    Fail(&e, Err(ErrorCode::kProfileInvalid,
                 "the file name is not a valid profile id"));
    return e;
  }
  if (has_key && has_env) {
    Fail(&e, Err(ErrorCode::kProfileInvalid,
                 "has both apiKey and api_key_env; keyref does not choose. "
                 "Remove one and migrate again"));
    return e;
  }
  if (p.contains("apiKeyRef")) {
    Fail(&e, Err(ErrorCode::kProfileInvalid,
                 "has both a legacy key field and apiKeyRef; keyref does not "
                 "choose. Remove one and migrate again"));
    return e;
  }
  ProfileJson next = p;
  next.erase("apiKey");
  next.erase("api_key_env");
  std::string origin;
  if (auto u = next.find("baseUrl"); u != next.end() && u->is_string()) {
    Result<BaseUrl> b = ParseBaseUrl(Plain(u->get_ref<const WipedString&>()));
    if (b.ok()) origin = OriginOf(b.value()).ToString();
  }
  const WipedString* key = nullptr;
  if (has_env) {
    if (!p["api_key_env"].is_string()) {
      Fail(&e, Err(ErrorCode::kProfileInvalid, "api_key_env is not a string"));
      return e;
    }
    const WipedString& name = p["api_key_env"].get_ref<const WipedString&>();
    WipedString ref = "env:";
    ref += name;
    Result<ParsedRef> r = ParseRef({ref.data(), ref.size()}, SchemeSet::All());
    if (!r.ok()) {
      const ErrorCode code = r.error().code == ErrorCode::kRefLiteralSecret
                                 ? ErrorCode::kProfileContainsSecret
                                 : r.error().code;
      Fail(&e, Err(code, std::string("api_key_env does not name an "
                                     "environment variable (") +
                             ErrorCodeName(r.error().code) +
                             "); the file was left as it is"));
      return e;
    }
    e.how = "env";
    e.ref = r.value().ref;
  } else if (!p["apiKey"].is_string()) {
    Fail(&e, Err(ErrorCode::kProfileInvalid, "apiKey is not a string"));
    return e;
  } else if (p["apiKey"].get_ref<const WipedString&>().empty()) {
    e.how = "dropped-empty";
  } else {
    CliError err;
    if (!CheckSecretName(*run.ctx, e.id, &err)) {
      Fail(&e, Err(ErrorCode::kProfileInvalid,
                   "the profile id cannot name a secret; rename the profile "
                   "and migrate again"));
      return e;
    }
    key = &p["apiKey"].get_ref<const WipedString&>();
    e.how = "stored-secret";
    e.ref = RefFor(run.backend, e.id);
  }
  // apiKeyRef set here: a ref (env:NAME or the backend's ref for the stored
  // key), never a key.
  if (!e.ref.empty()) next["apiKeyRef"] = e.ref.c_str();
  if (Status st = ProfileProblem(next, e.id); !st) {
    CliError err = FromCore(st.error());
    err.message = "the rewritten profile would be refused: " + err.message +
                  "; the file was left as it is";
    Fail(&e, err);
    return e;
  }
  if (run.dry_run) {
    e.action = "would-migrate";
    return e;
  }
  if (key) {
    if (!run.args->Has("--yes")) {
      bool yes = false;
      CliError err;
      if (!Confirm("Profile " + e.id + " holds a literal apiKey. Store it in " +
                       BackendPlace(run.backend) + " as " + e.ref +
                       " and rewrite the file without it?",
                   &yes, &err)) {
        err.message += " The file was left as it is.";
        Fail(&e, err);
        return e;
      }
      if (!yes) {
        e.error = CliError{kCodeNotConfirmed,
                           "not confirmed; the file was left as it is", "",
                           kExitRefused};
        e.how.clear();
        e.ref.clear();
        return e;
      }
    }
    if (!StoreLegacyKey(run, e.id, *key, origin, &e)) return e;
  }
  // Renamed over the old file: no copy or backup of it is kept.
  std::size_t slash = file.rfind('/');
  const std::string dir =
      slash == std::string::npos ? "." : file.substr(0, slash);
  if (Status st = WriteProfileFile(dir, e.id, next); !st) {
    Fail(&e, FromCore(st.error()));
    return e;
  }
  e.action = "migrated";
  return e;
}

int Migrate(Context& ctx, const Args& args) {
  const std::string path = args.positional[0];
  if (ArgLooksLikeKey(path)) return Report(ctx, KeyAsPath(ctx, path));
  struct stat sb;
  if (stat(path.c_str(), &sb) != 0) {
    return Report(ctx, CliError{kCodeProfileNotFound,
                                "No such file or folder: " + path + ".", "",
                                kExitNotFound});
  }
  const bool is_dir = S_ISDIR(sb.st_mode);
  const std::string dir = is_dir ? path
                                 : (path.rfind('/') == std::string::npos
                                        ? "."
                                        : path.substr(0, path.rfind('/')));
  Run run{&ctx, &args, args.Has("--dry-run"), DefaultBackend(ctx.config),
          nullptr};
  if (std::string b = args.Get("--backend"); !b.empty()) {
    if (!BackendFromName(b, &run.backend) || !IsWritable(run.backend)) {
      return Report(ctx, Usage("--backend must be keyring, file or pass."));
    }
  }
  if (run.backend == Backend::kFile && !ctx.config.file_backend) {
    return Report(
        ctx, CliError{"REF_SCHEME_DISABLED",
                      "The plaintext file backend is not enabled.",
                      "Enable it with: keyref backend set file", kExitInvalid});
  }
  Instance inst(CliPolicy(ctx.config));
  run.inst = &inst;
  std::unique_ptr<DirLock> lock;
  if (!run.dry_run) {
    Result<std::unique_ptr<DirLock>> l = DirLock::Take(dir);
    if (!l.ok()) return Report(ctx, FromCore(l.error()));
    lock = std::move(l).value();
  }
  std::vector<std::string> files =
      is_dir ? ProfileFilesIn(dir) : std::vector<std::string>{path};
  Json entries = Json::array();
  std::string text;
  int exit_status = kExitOk;
  bool stored = false;
  for (const std::string& file : files) {
    Entry e = MigrateOne(run, file);
    stored |= e.how == "stored-secret" && e.action == "migrated";
    if (e.failed && exit_status == kExitOk) exit_status = e.error.exit;
    entries.push_back(EntryJson(e));
    text += e.action + "  " + e.id;
    if (!e.ref.empty()) text += "  -> apiKeyRef " + e.ref;
    if (!e.how.empty()) text += " (" + e.how + ")";
    if (!e.error.code.empty())
      text += "  " + e.error.code + ": " + e.error.message;
    text += "\n";
    if (e.failed && !e.error.hint.empty()) {
      text += "      hint: " + e.error.hint + "\n";
    }
  }
  if (stored && !UpdateConfigOrReport(
                    ctx,
                    [&run](Config* c) {
                      for (const auto& [id, rec] : run.recorded) {
                        c->secrets[id] = rec;
                      }
                    },
                    &exit_status)) {
    return exit_status;
  }
  if (files.empty()) text = "No profile files in " + path + ".\n";
  if (run.dry_run) text += "(dry run: nothing was changed)\n";
  PrintResult(ctx,
              Json{{"ok", exit_status == kExitOk},
                   {"dryRun", run.dry_run},
                   {"entries", entries}},
              text);
  return exit_status;
}

}  // namespace

void AddMigrateCommands(std::vector<Command>* out) {
  out->push_back(
      {"",
       "migrate",
       "migrate PATH [--dry-run] [--yes] [--backend B]",
       "Rewrite legacy profiles (api_key_env, a literal apiKey) to apiKeyRef.",
       "PATH is a profile file or a folder of them. api_key_env \"X\" becomes\n"
       "apiKeyRef env:X. A literal apiKey is stored in the default backend\n"
       "(or --backend) as the profile's id, after you answer yes (or with\n"
       "--yes), and apiKeyRef names it. Each file is replaced atomically;\n"
       "no backup of the old file is kept. --dry-run shows what would\n"
       "change, never a value. Rotate keys that sat in plaintext files.\n",
       {{"--dry-run", "--yes"}, {"--backend"}, 1, 1},
       Migrate});
}

}  // namespace keyref::cli
