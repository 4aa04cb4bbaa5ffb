// keyref backend show | set: where keys can live, whether each place works
// right now, and which one new keys go to.
#include "backends.h"
#include "cli.h"

namespace keyref::cli {
namespace {

int BackendShow(Context& ctx, const Args&) {
  Instance inst(CliPolicy(ctx.config));
  Json list = Json::array();
  std::string text = "Default backend for new keys: " +
                     std::string(BackendName(DefaultBackend(ctx.config))) +
                     "\n";
  for (Backend b : kAllBackends) {
    BackendState s = ProbeBackend(b, ctx.config, inst);
    Json j = {{"backend", BackendName(b)},
              {"state", s.state},
              {"default", s.is_default},
              {"writable", IsWritable(b)}};
    if (!s.reason.empty()) j["reason"] = s.reason;
    if (!s.hint.empty()) j["hint"] = s.hint;
    list.push_back(j);
    text += "  " + std::string(BackendName(b)) +
            std::string(9 - std::string(BackendName(b)).size(), ' ') + s.state +
            (s.is_default ? " (default)" : "") +
            (s.reason.empty() ? "" : ": " + s.reason) + "\n";
    if (!s.hint.empty()) text += "           hint: " + s.hint + "\n";
  }
  PrintResult(ctx,
              Json{{"ok", true},
                   {"default", BackendName(DefaultBackend(ctx.config))},
                   {"config", ctx.config_path},
                   {"backends", list}},
              text);
  return kExitOk;
}

int BackendSet(Context& ctx, const Args& args) {
  Backend b;
  if (!BackendFromName(args.positional[0], &b) || !IsWritable(b)) {
    return Report(ctx, Usage("The default backend is keyring, file or pass.",
                             "op and env are read-only: keyref resolves "
                             "their refs but cannot store keys there."));
  }
  int code = kExitOk;
  if (!UpdateConfigOrReport(
          ctx,
          [b](Config* c) {
            c->default_backend = BackendName(b);
            // Choosing the file backend is the explicit opt-in it needs.
            if (b == Backend::kFile) c->file_backend = true;
          },
          &code)) {
    return code;
  }
  Instance inst(CliPolicy(ctx.config));
  BackendState s = ProbeBackend(b, ctx.config, inst);
  if (s.state != "reachable") {
    Warn(std::string(BackendName(b)) + " is " + s.state + " right now" +
         (s.reason.empty() ? "" : " (" + s.reason + ")") +
         (s.hint.empty() ? "" : ". " + s.hint));
  }
  Json body = {{"ok", true},
               {"default", BackendName(b)},
               {"state", s.state},
               {"config", ctx.config_path}};
  std::string text = "New keys go to " + std::string(BackendPlace(b)) +
                     " (saved in " + ctx.config_path + ").\n";
  if (b == Backend::kFile) {
    text += "The file backend keeps keys in a 0600 JSON file (" +
            PlaintextFilePath("", *ProcessEnv::Capture()) +
            "); prefer the keyring where one runs.\n";
  }
  PrintResult(ctx, body, text);
  return kExitOk;
}

}  // namespace

void AddBackendCommands(std::vector<Command>* out) {
  out->push_back(
      {"backend",
       "show",
       "backend show",
       "Each backend (keyring, file, pass, op, env): reachable, locked, "
       "unavailable or disabled, with what to do.",
       "keyring is the Secret Service (gnome-keyring, KWallet) over D-Bus;\n"
       "file is the opt-in 0600 JSON file; pass is pass(1) with gpg; op is\n"
       "the 1Password CLI (read-only); env is the environment (read-only).\n",
       {{}, {}, 0, 0},
       BackendShow});
  out->push_back({"backend",
                  "set",
                  "backend set keyring|file|pass",
                  "Choose where new keys are stored (user config, 0600).",
                  "Setting file also enables the plaintext file backend.\n",
                  {{}, {}, 1, 1},
                  BackendSet});
}

}  // namespace keyref::cli
