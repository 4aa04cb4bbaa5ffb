// keyref profile create | list | use | check: LLM profiles in the
// ProfileStore's format (profile_files.h), in the folder the user config
// names. `use` switches the active profile only after its key resolves.
#include <sys/stat.h>

#include "backends.h"
#include "cli.h"
#include "keyref/base_url.h"
#include "keyref/credential_shape.h"
#include "keyref/origin.h"
#include "keyref/provider.h"
#include "profile_files.h"

namespace keyref::cli {
namespace {

bool FileExists(const std::string& path) {
  struct stat sb;
  return stat(path.c_str(), &sb) == 0;
}

bool IsDir(const std::string& path) {
  struct stat sb;
  return stat(path.c_str(), &sb) == 0 && S_ISDIR(sb.st_mode);
}

std::string Field(const ProfileJson& p, const char* name) {
  auto it = p.find(name);
  if (it == p.end() || !it->is_string()) return {};
  return Plain(it->get_ref<const WipedString&>());
}

bool NoControl(const std::string& s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7F) return false;
  }
  return true;
}

int ProfileCreate(Context& ctx, const Args& args) {
  const std::string id = args.positional[0];
  const std::string provider = args.Get("--provider");
  const std::string model = args.Get("--model");
  const std::string base_url = args.Get("--base-url");
  const std::string secret = args.Get("--secret");
  const std::string label = args.Get("--label", id);
  CliError err;
  if (!ValidProfileId(id) ||
      FirstCredentialShape(id) != CredentialFamily::kNone) {
    return Report(
        ctx, CliError{"PROFILE_INVALID",
                      "A profile name is 1-64 characters of "
                      "A-Z a-z 0-9 . _ - (and not key-shaped).",
                      "e.g. keyref profile create openrouter …", kExitInvalid});
  }
  Provider prov;
  if (!ProviderFromName(provider, &prov)) {
    std::string names;
    for (int i = 0; i < kProviderCount; ++i) {
      names +=
          (i ? ", " : "") + std::string(ProviderName(static_cast<Provider>(i)));
    }
    return Report(ctx, Usage("--provider must be one of: " + names + "."));
  }
  if (model.empty() || model.size() > 200 || !NoControl(model) ||
      label.empty() || label.size() > 200 || !NoControl(label)) {
    return Report(ctx, Usage("--model (and --label) take 1-200 printable "
                             "characters."));
  }
  // The origin the key is bound to: the base URL's, checked against the
  // origin rules (an http origin only for loopback hosts).
  std::vector<OriginPattern> bind;
  if (!base_url.empty()) {
    Result<BaseUrl> u = ParseBaseUrl(base_url);
    if (!u.ok()) return Report(ctx, FromCore(u.error()));
    Result<OriginPattern> o =
        ParseOriginPattern(OriginOf(u.value()).ToString());
    if (!o.ok()) {
      CliError e = FromCore(o.error());
      e.message = "--base-url: " + e.message;
      return Report(ctx, e);
    }
    if (o.value().ToString() != DefaultOrigin(prov)) {
      bind.push_back(std::move(o).value());
    }
  } else if (DefaultOrigin(prov).empty() && ProviderNeedsKey(prov)) {
    return Report(ctx, Usage("--base-url is needed: " + provider +
                             " has no default endpoint."));
  }
  if (secret.empty() && ProviderNeedsKey(prov)) {
    return Report(ctx, Usage("--secret NAME is needed: the key the profile "
                             "uses (stored with keyref secret set NAME)."));
  }
  std::string ref_text;
  Backend b = DefaultBackend(ctx.config);
  if (!secret.empty()) {
    if (!CheckSecretName(ctx, secret, &err)) return Report(ctx, err);
    auto rec = ctx.config.secrets.find(secret);
    if (rec != ctx.config.secrets.end()) {
      BackendFromName(rec->second.backend, &b);
    }
    ref_text = RefFor(b, secret);
  }
  // For every value put in the profile, the same checks ProfileStore.save
  // makes (no credential anywhere); the file then passes the schema.
  ProfileJson p = ProfileJson::object();
  p["id"] = id.c_str();
  p["label"] = label.c_str();
  p["provider"] = provider.c_str();
  p["model"] = model.c_str();
  if (!base_url.empty()) p["baseUrl"] = base_url.c_str();
  // apiKeyRef: a ref naming where the key lives (keyring:keyref/NAME…),
  // never the key: profile files are synced and shown (invariant 7).
  if (!ref_text.empty()) p["apiKeyRef"] = ref_text.c_str();
  if (Status st = ProfileProblem(p, id); !st) {
    return Report(ctx, FromCore(st.error()));
  }
  const std::string dir = ProfilesDir(ctx.config);
  Result<std::unique_ptr<DirLock>> lock = DirLock::Take(dir);
  if (!lock.ok()) return Report(ctx, FromCore(lock.error()));
  const std::string file = dir + "/" + id + ".json";
  if (FileExists(file)) {
    // A legacy file holds its key (or its variable's name): replacing it
    // would lose that. migrate rewrites it instead (as ProfileStore.save
    // refuses to save over one).
    Result<ProfileJson> old = ReadProfileFile(file);
    if (old.ok() && (old.value().contains("apiKey") ||
                     old.value().contains("api_key_env"))) {
      return Report(
          ctx, CliError{"PROFILE_INVALID",
                        "A legacy profile named " + id +
                            " is waiting for migration; it was not "
                            "replaced.",
                        "Run keyref migrate " + dir + " first.", kExitInvalid});
    }
  }
  if (FileExists(file) && !args.Has("--force")) {
    return Report(ctx, CliError{"PROFILE_INVALID",
                                "A profile named " + id + " exists already.",
                                "Pick another name, or replace it with "
                                "--force.",
                                kExitInvalid});
  }
  if (Status st = WriteProfileFile(dir, id, p); !st) {
    return Report(ctx, FromCore(st.error()));
  }
  lock.value().reset();
  // Bind the key to the profile's origin (recorded next to the key, where
  // no workspace file can change it). The key need not be stored yet:
  // `secret set` keeps the recorded origins.
  std::vector<std::string> origins;
  std::string bind_note;
  if (!ref_text.empty()) {
    ParsedRef ref = ParseRef(ref_text, SchemeSet::All()).value();
    Instance inst(CliPolicy(ctx.config));
    if (!bind.empty()) {
      Status st = AddBinding(inst, ref, bind);
      if (!st) {
        bind_note = std::string(ErrorCodeName(st.error().code)) + ": " +
                    st.error().message;
        Warn("the profile was written, but its key could not be bound to " +
             bind[0].ToString() + " (" + bind_note + "). " +
             HintFor(ref, st.error(), ctx.config));
      }
    }
    Result<KeyBinding> b = inst.Binding(ref, prov);
    if (b.ok()) origins = b.value().OriginTexts();
  }
  Json body = {{"ok", true}, {"id", id}, {"file", file}};
  body["apiKeyRef"] = ref_text.empty() ? Json(nullptr) : Json(ref_text);
  body["origins"] = origins;
  body["bound"] = bind_note.empty();
  std::string text = "Created profile " + id + " (" + file + ").\n";
  if (!ref_text.empty()) text += "  apiKeyRef: " + ref_text + "\n";
  if (!origins.empty()) {
    std::string o;
    for (const std::string& x : origins) o += (o.empty() ? "" : ", ") + x;
    text += "  key may be sent to: " + o + "\n";
  }
  PrintResult(ctx, body, text);
  return kExitOk;
}

int ProfileList(Context& ctx, const Args&) {
  const std::string dir = ProfilesDir(ctx.config);
  Json items = Json::array();
  std::string text;
  for (const std::string& file : ProfileFilesIn(dir)) {
    const std::string id = IdOfFile(file);
    Json item = {{"id", id},
                 {"file", file},
                 {"active", id == ctx.config.active_profile}};
    Result<ProfileJson> p = ReadProfileFile(file);
    Status problem = p.ok() ? ProfileProblem(p.value(), id) : Status(p.error());
    if (p.ok()) {
      for (const char* f : {"label", "provider", "model", "apiKeyRef"}) {
        if (!Field(p.value(), f).empty() && problem) {
          item[f] = Field(p.value(), f);
        }
      }
    }
    item["valid"] = problem.ok();
    if (!problem) item["error"] = ErrorJson(FromCore(problem.error()));
    text +=
        std::string(id == ctx.config.active_profile ? "* " : "  ") + id +
        (problem ? "  " + Field(p.value(), "provider") + "/" +
                       Field(p.value(), "model") + "  " +
                       Field(p.value(), "apiKeyRef")
                 : "  (" + std::string(ErrorCodeName(problem.error().code)) +
                       ": " + problem.error().message + ")") +
        "\n";
    items.push_back(item);
  }
  if (text.empty()) text = "No profiles in " + dir + ".\n";
  Json body = {{"ok", true}, {"dir", dir}};
  body["active"] = ctx.config.active_profile.empty()
                       ? Json(nullptr)
                       : Json(ctx.config.active_profile);
  body["profiles"] = items;
  PrintResult(ctx, body, text);
  return kExitOk;
}

// The pre-flight's message in the user's terms: which profile, which
// secret, which place, what is wrong.
std::string UseMessage(const std::string& id, const ParsedRef& ref,
                       const Error& e) {
  Backend b;
  std::string name;
  const bool ours = NameFromRef(ref, &b, &name);
  const std::string what = ours ? "secret '" + name + "'" : ref.ref;
  const std::string where = ours                             ? BackendPlace(b)
                            : ref.scheme == Scheme::kKeyring ? "the keyring"
                                                             : "its source";
  const std::string head = "profile '" + id + "' references " + what;
  switch (e.code) {
    case ErrorCode::kSecretNotFound:
      if (ref.scheme == Scheme::kEnv) {
        return head + " but the environment variable " + ref.name +
               " is not set";
      }
      return head + " but no entry was found in " + where;
    case ErrorCode::kSourceLocked:
      return head + " in " + where + ", but " + where + " is locked";
    case ErrorCode::kSourceUnavailable:
      if (ref.scheme == Scheme::kKeyring) {
        return head + " in the keyring, but no keyring is reachable" +
               (NoSessionBus() ? " (there is no D-Bus session)"
                               : " (no Secret Service is running)");
      }
      return head + ", but " + where + " cannot be reached: " + e.message;
    default:
      return head + ", which cannot be used: " + e.message;
  }
}

// The pre-flight's origin half: the key's binding (provider default,
// recorded origins) must allow the profile's target, as a request would
// require (docs/origins.md).
Status CheckTarget(Instance& inst, const ProfileJson& p, const ParsedRef& ref,
                   Provider prov, bool known_provider) {
  if (!known_provider) return {};
  std::string url = Field(p, "baseUrl");
  if (url.empty()) url = std::string(DefaultOrigin(prov));
  if (url.empty()) {
    return Error(ErrorCode::kProfileInvalid,
                 "the profile has no baseUrl and its provider has no default "
                 "endpoint.",
                 "Re-create it with --base-url.");
  }
  Result<BaseUrl> target = ParseBaseUrl(url);
  if (!target.ok()) return std::move(target).error();
  Result<KeyBinding> b = inst.Binding(ref, prov);
  if (!b.ok()) return std::move(b).error();
  return CheckKeyOrigin(b.value(), ref, prov, target.value());
}

int ProfileUse(Context& ctx, const Args& args) {
  const std::string id = args.positional[0];
  const std::string dir = ProfilesDir(ctx.config);
  const std::string file = dir + "/" + id + ".json";
  // A key-shaped name is no profile (profile create refuses such names).
  const bool hidden = ArgLooksLikeKey(id);
  if (hidden || !ValidProfileId(id) || !FileExists(file)) {
    return Report(
        ctx, CliError{kCodeProfileNotFound,
                      "There is no profile " +
                          (hidden ? "named by " + HiddenArg(ctx, id)
                           : ValidProfileId(id) ? "'" + id + "'"
                                                : std::string("so named")) +
                          " in " + dir + ".",
                      "List them with keyref profile list, or make "
                      "one with keyref profile create.",
                      kExitNotFound});
  }
  Result<ProfileJson> p = ReadProfileFile(file);
  if (!p.ok()) return Report(ctx, FromCore(p.error()));
  if (Status st = ProfileProblem(p.value(), id); !st) {
    CliError e = FromCore(st.error());
    e.message = "profile '" + id + "': " + e.message;
    return Report(ctx, e);
  }
  const std::string provider = Field(p.value(), "provider");
  const std::string ref_text = Field(p.value(), "apiKeyRef");
  Provider prov = Provider::kOpenAI;
  const bool known = ProviderFromName(provider, &prov);
  const bool needs_key = !known || ProviderNeedsKey(prov);
  Json body = {{"ok", true}, {"active", id}};
  body["previous"] = ctx.config.active_profile.empty()
                         ? Json(nullptr)
                         : Json(ctx.config.active_profile);
  body["apiKeyRef"] = ref_text.empty() ? Json(nullptr) : Json(ref_text);
  std::string fingerprint;
  if (ref_text.empty() && needs_key) {
    return Report(ctx, CliError{"SECRET_NOT_FOUND",
                                "profile '" + id +
                                    "' has no apiKeyRef, so "
                                    "it has no key to send.",
                                "Store one (keyref secret set NAME) and "
                                "re-create the profile with --secret NAME.",
                                kExitNotFound});
  }
  if (!ref_text.empty()) {
    ParsedRef ref = ParseRef(ref_text, SchemeSet::All()).value();
    if (ref.scheme == Scheme::kSecret) {
      CliError e = SecretSchemeError(ref_text);
      e.message = "profile '" + id + "' references " + e.message;
      return Report(ctx, e);
    }
    Instance inst(CliPolicy(ctx.config));
    Verdict v = CheckOneRef(inst, ctx.config, ref_text, provider);
    if (v.ok) {
      // The key resolves; may it go where the profile sends it?
      Status st = CheckTarget(inst, p.value(), ref, prov, known);
      if (!st) {
        CliError e = FromCore(st.error());
        e.message = "profile '" + id + "': " + e.message +
                    " The active profile was not changed.";
        Backend kb;
        std::string name;
        if (st.error().code == ErrorCode::kKeyOriginDenied &&
            NameFromRef(ref, &kb, &name)) {
          e.hint =
              "Check the profile's baseUrl first: a changed baseUrl is "
              "how keys are stolen. If its origin is yours, allow it: "
              "keyref secret bind " +
              name + " --origin ORIGIN";
        }
        return Report(ctx, e);
      }
    }
    if (!v.ok) {
      CliError e = v.error;
      if (v.info.check.ok() == false) {
        e.message = UseMessage(id, ref, v.info.check.error()) + ".";
      } else {
        e.message = "profile '" + id + "': " + v.error.message;
      }
      e.message += " The active profile was not changed.";
      return Report(ctx, e);
    }
    fingerprint = v.info.fingerprint;
    body["fingerprint"] =
        fingerprint.empty() ? Json(nullptr) : Json(fingerprint);
    body["origins"] = v.info.origins;
  }
  int code = kExitOk;
  if (!UpdateConfigOrReport(
          ctx, [&id](Config* c) { c->active_profile = id; }, &code)) {
    return code;
  }
  PrintResult(
      ctx, body,
      "Active profile: " + id +
          (ref_text.empty()
               ? ""
               : " (key " + ref_text + " resolves" +
                     (fingerprint.empty() ? "" : ", " + fingerprint) + ")") +
          ".\n");
  return kExitOk;
}

int ProfileCheck(Context& ctx, const Args& args) {
  const std::string path = args.positional[0];
  if (ArgLooksLikeKey(path)) return Report(ctx, KeyAsPath(ctx, path));
  std::vector<std::string> files;
  if (IsDir(path)) {
    files = ProfileFilesIn(path);
  } else if (FileExists(path)) {
    files.push_back(path);
  } else {
    return Report(ctx, CliError{kCodeProfileNotFound,
                                "No such file or folder: " + path + ".", "",
                                kExitNotFound});
  }
  Instance inst(CliPolicy(ctx.config));
  Json results = Json::array();
  std::string text;
  int exit_status = kExitOk;
  for (const std::string& file : files) {
    const std::string id = IdOfFile(file);
    Json item = {{"id", id}, {"file", file}};
    Result<ProfileJson> p = ReadProfileFile(file);
    Status problem = p.ok() ? ProfileProblem(p.value(), id) : Status(p.error());
    CliError err;
    bool ok = problem.ok();
    std::string ref_text;
    Verdict v;
    if (!ok) {
      err = FromCore(problem.error());
    } else {
      ref_text = Field(p.value(), "apiKeyRef");
      const std::string provider = Field(p.value(), "provider");
      Provider prov;
      const bool needs_key =
          !ProviderFromName(provider, &prov) || ProviderNeedsKey(prov);
      if (!ref_text.empty()) {
        v = CheckOneRef(inst, ctx.config, ref_text, provider);
        ok = v.ok;
        err = v.error;
      } else if (needs_key) {
        ok = false;
        err = CliError{"SECRET_NOT_FOUND", "the profile has no apiKeyRef",
                       "Store a key (keyref secret set NAME) and set "
                       "apiKeyRef to the ref it prints.",
                       kExitNotFound};
      }
    }
    item["ok"] = ok;
    item["apiKeyRef"] = ref_text.empty() ? Json(nullptr) : Json(ref_text);
    if (ok && v.ok) {
      item["fingerprint"] =
          v.info.fingerprint.empty() ? Json(nullptr) : Json(v.info.fingerprint);
      item["origins"] = v.info.origins;
    }
    if (!ok) item["error"] = ErrorJson(err);
    if (!ok && exit_status == kExitOk) exit_status = err.exit;
    results.push_back(item);
    text += (ok ? "ok    " : "FAIL  ") + id +
            (ref_text.empty() ? "" : "  " + ref_text) +
            (ok ? "" : "  " + err.code + ": " + err.message) + "\n";
    if (!ok && !err.hint.empty()) text += "      hint: " + err.hint + "\n";
  }
  if (files.empty()) text = "No profile files in " + path + ".\n";
  PrintResult(ctx, Json{{"ok", exit_status == kExitOk}, {"results", results}},
              text);
  return exit_status;
}

}  // namespace

void AddProfileCommands(std::vector<Command>* out) {
  out->push_back(
      {"profile",
       "create",
       "profile create NAME --provider P --model M [--base-url URL] "
       "--secret SECRETNAME [--label L] [--force]",
       "Write a profile whose apiKeyRef names a stored key.",
       "Written in the profile store's format "
       "(schemas/llm-profile.schema.json)\n"
       "to the profiles folder of the user config, atomically, mode 0600.\n"
       "apiKeyRef points at SECRETNAME in the backend it was stored in\n"
       "(keyring:keyref/SECRETNAME for the default backend).\n",
       {{"--force"},
        {"--provider", "--model", "--base-url", "--secret", "--label"},
        1,
        1},
       ProfileCreate});
  out->push_back({"profile",
                  "list",
                  "profile list",
                  "List the profiles and which one is active.",
                  "",
                  {{}, {}, 0, 0},
                  ProfileList});
  out->push_back(
      {"profile",
       "use",
       "profile use NAME",
       "Switch the active profile, only if its key resolves.",
       "Runs the pre-flight first (the key resolves and may go to the\n"
       "profile's origin). On failure nothing changes, and the message says\n"
       "what to run: keyref secret set NAME, unlock the keyring, or use the\n"
       "file backend where no keyring is reachable.\n",
       {{}, {}, 1, 1},
       ProfileUse});
  out->push_back(
      {"profile",
       "check",
       "profile check PATH",
       "Check a profile file or a folder of them: each key's verdict.",
       "Exit status 0 only if every profile's key resolves.\n",
       {{}, {}, 1, 1},
       ProfileCheck});
}

}  // namespace keyref::cli
