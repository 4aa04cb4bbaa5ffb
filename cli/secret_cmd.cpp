// keyref secret set | get | list | rm: keys in the backends. The key only
// ever exists in a SecretValue (typed at the echo-off prompt, piped with
// --stdin, or resolved for `get --reveal`); every output names it by its
// ref and fingerprint.
#include <unistd.h>

#include <cerrno>
#include <optional>

#include "backends.h"
#include "cli.h"
#include "terminal.h"

namespace keyref::cli {
namespace {

// Which backend a command works on: --backend, else where the CLI stored
// NAME, else the default.
bool PickBackend(const Context& ctx, const Args& args, const std::string& name,
                 Backend* b, CliError* err) {
  std::string chosen = args.Get("--backend");
  if (chosen.empty()) {
    auto it = ctx.config.secrets.find(name);
    chosen = it != ctx.config.secrets.end()
                 ? it->second.backend
                 : BackendName(DefaultBackend(ctx.config));
  }
  if (!BackendFromName(chosen, b) || !IsWritable(*b)) {
    *err = Usage("--backend must be keyring, file or pass.");
    return false;
  }
  if (*b == Backend::kFile && !ctx.config.file_backend) {
    *err = CliError{"REF_SCHEME_DISABLED",
                    "The plaintext file backend is not enabled.",
                    "Enable it with: keyref backend set file", kExitInvalid};
    return false;
  }
  return true;
}

Json InfoJson(const KeyInfo& info) {
  Json j = Json::object();
  j["fingerprint"] =
      info.fingerprint.empty() ? Json(nullptr) : Json(info.fingerprint);
  j["lengthClass"] = info.length_class;
  j["shape"] = info.shape;
  j["redacted"] = "[REDACTED]";
  j["origins"] = info.origins;
  // Only when there are some, as describe() in the addon does.
  if (!info.replaced_origins.empty()) {
    j["replacedOrigins"] = info.replaced_origins;
  }
  if (info.binding_problem) {
    j["bindingProblem"] = ErrorJson(BindingProblemError(*info.binding_problem));
  }
  j["storedAt"] = info.stored_at.empty() ? Json(nullptr) : Json(info.stored_at);
  return j;
}

std::string OriginsText(const std::vector<std::string>& o) {
  if (o.empty()) return "none recorded (provider defaults apply)";
  std::string s;
  for (const std::string& x : o) s += (s.empty() ? "" : ", ") + x;
  return s;
}

// The NAME, --backend and --origin arguments of secret set and secret bind.
bool NameBackendOrigins(Context& ctx, const Args& args, Backend* b,
                        std::vector<OriginPattern>* origins, CliError* err) {
  const std::string& name = args.positional[0];
  return CheckSecretName(ctx, name, err) &&
         PickBackend(ctx, args, name, b, err) &&
         ParseOrigins(args.All("--origin"), origins, err);
}

int SecretSet(Context& ctx, const Args& args) {
  const std::string name = args.positional[0];
  CliError err;
  Backend b;
  std::vector<OriginPattern> origins;
  if (!NameBackendOrigins(ctx, args, &b, &origins, &err)) {
    return Report(ctx, err);
  }
  if (b == Backend::kPass && !origins.empty()) {
    return Report(ctx, Usage("pass keeps no origin record, so --origin "
                             "cannot be used with the pass backend.",
                             "Bind pass: keys with the host's "
                             "policy.origins, or use the keyring backend."));
  }
  SecretValue value;
  bool ok =
      args.Has("--stdin")
          ? ReadSecretFromStdin(&value, &err)
          : PromptSecret("Key for " + name + " (input hidden): ", &value, &err);
  if (!ok) return Report(ctx, err);
  Instance inst(CliPolicy(ctx.config));
  Status st = StoreInBackend(inst, b, name, value, origins);
  if (!st) {
    CliError e = FromCore(st.error());
    Result<ParsedRef> ref = ParseRef(RefFor(b, name), SchemeSet::All());
    if (ref.ok()) e.hint = HintFor(ref.value(), st.error(), ctx.config);
    return Report(ctx, e);
  }
  value.Wipe();  // stored: nothing below needs it
  const std::string ref_text = RefFor(b, name);
  const SecretRecord record{BackendName(b), ref_text, NowUtc()};
  int code = kExitOk;
  if (!UpdateConfigOrReport(
          ctx, [&](Config* c) { c->secrets[name] = record; }, &code)) {
    return code;
  }
  KeyInfo info =
      DescribeKey(inst, ParseRef(ref_text, SchemeSet::All()).value(), "");
  if (!info.check) info.origins = OriginTexts(origins);
  Json body = {{"ok", true},
               {"name", name},
               {"backend", BackendName(b)},
               {"ref", ref_text}};
  body["origins"] = info.origins;
  body["fingerprint"] =
      info.fingerprint.empty() ? Json(nullptr) : Json(info.fingerprint);
  std::string text = "Stored " + name + " in " + BackendPlace(b) + ".\n" +
                     "  apiKeyRef:   " + ref_text + "\n" +
                     "  origins:     " + OriginsText(info.origins) + "\n";
  if (!info.fingerprint.empty()) {
    text += "  fingerprint: " + info.fingerprint + "\n";
  }
  PrintResult(ctx, body, text);
  return kExitOk;
}

int SecretGet(Context& ctx, const Args& args) {
  const std::string name = args.positional[0];
  CliError err;
  Backend b;
  if (!CheckSecretName(ctx, name, &err) ||
      !PickBackend(ctx, args, name, &b, &err)) {
    return Report(ctx, err);
  }
  const bool reveal = args.Has("--reveal");
  if (reveal && ctx.json) {
    return Report(ctx, Usage("--reveal cannot be combined with --json: a "
                             "key is never put in machine output."));
  }
  // Refused before anything is resolved: stdout is a pipe or a file.
  if (reveal && !StdoutIsTerminal() && !args.Has("--force")) {
    return Report(
        ctx, CliError{kCodeRefused,
                      "--reveal prints the key only to a terminal; stdout "
                      "is not one, so nothing was printed.",
                      "Use the key by reference (apiKeyRef) instead of "
                      "copying it. If you must write it to a pipe or file, "
                      "add --force and mind where it goes.",
                      kExitRefused});
  }
  const std::string ref_text = RefFor(b, name);
  ParsedRef ref = ParseRef(ref_text, SchemeSet::All()).value();
  Instance inst(CliPolicy(ctx.config));
  KeyInfo info = DescribeKey(inst, ref, "");
  if (!info.check) {
    CliError e = FromCore(info.check.error());
    e.hint = HintFor(ref, info.check.error(), ctx.config);
    return Report(ctx, e);
  }
  auto rec = ctx.config.secrets.find(name);
  if (info.stored_at.empty() && rec != ctx.config.secrets.end()) {
    info.stored_at = rec->second.stored_at;
  }
  if (reveal) {
    Result<LiveSecret> live = inst.Resolve(ref);
    if (!live.ok()) return Report(ctx, FromCore(live.error()));
    Warn("printing the key for " + name +
         " to the terminal; clear the screen and scrollback afterwards.");
    std::string_view v = live.value().value().Reveal();
    while (!v.empty()) {
      ssize_t n = write(STDOUT_FILENO, v.data(), v.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      v.remove_prefix(static_cast<std::size_t>(n));
    }
    (void)!write(STDOUT_FILENO, "\n", 1);
    return kExitOk;
  }
  Json body = {{"ok", true},
               {"name", name},
               {"backend", BackendName(b)},
               {"ref", ref_text}};
  const Json facts = InfoJson(info);
  for (auto& [k, v] : facts.items()) body[k] = v;
  std::string text =
      name + " (" + BackendPlace(b) + ")\n" + "  apiKeyRef:   " + ref_text +
      "\n" + "  value:       [REDACTED] (" + info.shape + ", " +
      info.length_class + ")\n" +
      "  fingerprint: " + (info.fingerprint.empty() ? "-" : info.fingerprint) +
      "\n" + "  origins:     " + OriginsText(info.origins) + "\n" +
      "  stored:      " +
      (info.stored_at.empty() ? "unknown" : info.stored_at) + "\n";
  if (!info.replaced_origins.empty()) {
    text += "  not applied: " + OriginsText(info.replaced_origins) +
            " (recorded for a key this one replaced; bind them again with "
            "keyref secret bind " +
            name + " --origin ...)\n";
  }
  if (info.binding_problem) {
    const CliError w = BindingProblemError(*info.binding_problem);
    text += "  warning:     " + w.code + ": " + w.message +
            "\n  hint:        Bind it again: keyref secret bind " + name +
            " --origin URL\n";
  }
  PrintResult(ctx, body, text);
  return kExitOk;
}

const char* StateOf(const Status& st) {
  if (st) return "stored";
  switch (st.error().code) {
    case ErrorCode::kSecretNotFound:
      return "missing";
    case ErrorCode::kSourceLocked:
      return "locked";
    default:
      return "unavailable";
  }
}

int SecretList(Context& ctx, const Args&) {
  Instance inst(CliPolicy(ctx.config));
  Json items = Json::array();
  std::string text;
  for (const auto& [name, rec] : ctx.config.secrets) {
    Result<ParsedRef> ref = ParseRef(rec.ref, SchemeSet::All());
    if (!ref.ok()) continue;
    KeyInfo info = DescribeKey(inst, ref.value(), "");
    Json item = {{"name", name},
                 {"backend", rec.backend},
                 {"ref", rec.ref},
                 {"state", StateOf(info.check)}};
    item["fingerprint"] =
        info.fingerprint.empty() ? Json(nullptr) : Json(info.fingerprint);
    item["storedAt"] =
        rec.stored_at.empty() ? Json(nullptr) : Json(rec.stored_at);
    if (!info.check) item["code"] = ErrorCodeName(info.check.error().code);
    items.push_back(item);
    text += name + "  " + rec.backend + "  " + rec.ref + "  " +
            StateOf(info.check) +
            (info.fingerprint.empty() ? "" : "  " + info.fingerprint) + "\n";
  }
  if (text.empty()) {
    text =
        "No keys stored with keyref yet. Store one: keyref secret set "
        "NAME\n";
  }
  PrintResult(ctx, Json{{"ok", true}, {"secrets", items}}, text);
  return kExitOk;
}

int SecretRm(Context& ctx, const Args& args) {
  const std::string name = args.positional[0];
  CliError err;
  Backend b;
  if (!CheckSecretName(ctx, name, &err) ||
      !PickBackend(ctx, args, name, &b, &err)) {
    return Report(ctx, err);
  }
  const std::string ref_text = RefFor(b, name);
  if (!args.Has("--yes")) {
    bool yes = false;
    if (!Confirm("Remove " + name + " (" + ref_text + ") from " +
                     BackendPlace(b) + "?",
                 &yes, &err)) {
      return Report(ctx, err);
    }
    if (!yes) {
      return Report(ctx, CliError{kCodeNotConfirmed,
                                  "Not removed: the answer was not yes.", "",
                                  kExitRefused});
    }
  }
  Instance inst(CliPolicy(ctx.config));
  Status st = DeleteFromBackend(inst, b, name);
  if (!st) {
    CliError e = FromCore(st.error());
    e.hint = HintFor(ParseRef(ref_text, SchemeSet::All()).value(), st.error(),
                     ctx.config);
    return Report(ctx, e);
  }
  int code = kExitOk;
  if (!UpdateConfigOrReport(
          ctx, [&name](Config* c) { c->secrets.erase(name); }, &code)) {
    return code;
  }
  PrintResult(ctx,
              Json{{"ok", true},
                   {"name", name},
                   {"backend", BackendName(b)},
                   {"ref", ref_text},
                   {"removed", true}},
              "Removed " + name + " from " + BackendPlace(b) + ".\n");
  return kExitOk;
}

int SecretBind(Context& ctx, const Args& args) {
  const std::string name = args.positional[0];
  CliError err;
  Backend b;
  std::vector<OriginPattern> origins;
  if (!NameBackendOrigins(ctx, args, &b, &origins, &err)) {
    return Report(ctx, err);
  }
  if (origins.empty()) {
    return Report(ctx, Usage("Give at least one --origin URL."));
  }
  const std::string ref_text = RefFor(b, name);
  ParsedRef ref = ParseRef(ref_text, SchemeSet::All()).value();
  Instance inst(CliPolicy(ctx.config));
  // A person's explicit action at a terminal: the one way besides storing
  // the key that a binding is recorded (docs/origins.md).
  Status st = AddBinding(inst, ref, origins);
  if (!st) {
    CliError e = FromCore(st.error());
    e.hint = HintFor(ref, st.error(), ctx.config);
    return Report(ctx, e);
  }
  Result<KeyBinding> now = inst.Binding(ref, std::nullopt);
  std::vector<std::string> texts =
      now.ok() ? now.value().OriginTexts() : OriginTexts(origins);
  PrintResult(
      ctx,
      Json{{"ok", true}, {"name", name}, {"ref", ref_text}, {"origins", texts}},
      name + " may now be sent to: " + OriginsText(texts) + "\n");
  return kExitOk;
}

}  // namespace

void AddSecretCommands(std::vector<Command>* out) {
  out->push_back(
      {"secret",
       "set",
       "secret set NAME [--backend keyring|file|pass] "
       "[--origin URL]... [--stdin]",
       "Store a key: prompts with echo off on the terminal.",
       "The key is read from /dev/tty with echo off (never from a pipe\n"
       "unless --stdin is given, which reads exactly one line). It is stored\n"
       "in the default backend (keyref backend show) or --backend, and the\n"
       "command prints the apiKeyRef to put in a profile, the origins the\n"
       "key is bound to (--origin, repeatable) and its fingerprint.\n",
       {{"--stdin"}, {"--backend", "--origin"}, 1, 1},
       SecretSet});
  out->push_back(
      {"secret",
       "get",
       "secret get NAME [--reveal [--force]] [--backend B]",
       "Show a key's metadata (never its value unless --reveal).",
       "Shows backend, apiKeyRef, fingerprint, length class, shape, bound\n"
       "origins and when it was stored; the value is shown as [REDACTED].\n"
       "--reveal prints the value, only when stdout is a terminal, with a\n"
       "warning on stderr; to a pipe or file it is refused unless --force.\n"
       "--reveal and --json cannot be combined.\n",
       {{"--reveal", "--force"}, {"--backend"}, 1, 1},
       SecretGet});
  out->push_back({"secret",
                  "list",
                  "secret list",
                  "List the keys keyref stored: names, backends, states, "
                  "fingerprints.",
                  "Lists the keys stored with keyref secret set or keyref\n"
                  "migrate (recorded in the user config). Never values.\n",
                  {{}, {}, 0, 0},
                  SecretList});
  out->push_back(
      {"secret",
       "bind",
       "secret bind NAME --origin URL... [--backend B]",
       "Allow a stored key to be sent to more origins.",
       "Adds origins (https://host[:port], https://*.example.com, or http://\n"
       "for loopback only) to those recorded with the key. Provider defaults\n"
       "need no binding. A workspace file can never add one "
       "(docs/origins.md).\n",
       {{}, {"--backend", "--origin"}, 1, 1},
       SecretBind});
  out->push_back({"secret",
                  "rm",
                  "secret rm NAME [--yes] [--backend B]",
                  "Remove a key (asks first unless --yes).",
                  "",
                  {{"--yes"}, {"--backend"}, 1, 1},
                  SecretRm});
}

}  // namespace keyref::cli
