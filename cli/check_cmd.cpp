// keyref check REF…: whether each ref is valid and resolves, with codes and
// hints. The refs' keys are resolved and dropped; nothing is printed but
// verdicts. An argument that turns out to be a key is never echoed, and is
// wiped from argv (so /proc/PID/cmdline stops showing it).
#include "backends.h"
#include "cli.h"

namespace keyref::cli {

Verdict CheckOneRef(Instance& inst, const Config& config, std::string_view text,
                    const std::string& provider) {
  Verdict v;
  Result<ParsedRef> parsed = ParseRef(text, SchemeSet::All());
  if (!parsed.ok()) {
    v.error = FromCore(parsed.error());
    if (parsed.error().code != ErrorCode::kRefLiteralSecret) {
      v.shown = std::string(text);
    }
    return v;
  }
  const ParsedRef& ref = parsed.value();
  v.shown = ref.ref;
  v.scheme = SchemeName(ref.scheme);
  if (ref.scheme == Scheme::kSecret) {
    v.error = SecretSchemeError(ref.ref);
    return v;
  }
  if (!inst.policy().allow.Has(ref.scheme)) {
    RefCheck c;
    c.code = ErrorCode::kRefSchemeDisabled;
    c.scheme = ref.scheme;
    c.scheme_known = true;
    Error e = DescribeRefError(c);
    v.error = FromCore(e);
    v.error.hint = HintFor(ref, e, config);
    return v;
  }
  v.info = DescribeKey(inst, ref, provider);
  if (!v.info.check) {
    v.error = FromCore(v.info.check.error());
    v.error.hint = HintFor(ref, v.info.check.error(), config);
    return v;
  }
  v.ok = true;
  return v;
}

Json VerdictJson(const Verdict& v) {
  Json j = Json::object();
  j["ref"] = v.shown.empty() ? Json(nullptr) : Json(v.shown);
  j["ok"] = v.ok;
  j["scheme"] = v.scheme.empty() ? Json(nullptr) : Json(v.scheme);
  if (v.ok) {
    j["fingerprint"] =
        v.info.fingerprint.empty() ? Json(nullptr) : Json(v.info.fingerprint);
    j["origins"] = v.info.origins;
    // Recorded for a key this one replaced: not applied (docs/origins.md).
    if (!v.info.replaced_origins.empty()) {
      j["replacedOrigins"] = v.info.replaced_origins;
    }
    // The key resolves but its stored origins were dropped: said, not
    // silent (docs/origins.md, "Where the binding is kept").
    if (v.info.binding_problem) {
      j["bindingProblem"] =
          ErrorJson(BindingProblemError(*v.info.binding_problem));
    }
  } else {
    j["error"] = ErrorJson(v.error);
  }
  return j;
}

namespace {

int Check(Context& ctx, const Args& args) {
  Instance inst(CliPolicy(ctx.config));
  Json results = Json::array();
  std::string text;
  int exit_status = kExitOk;
  for (std::size_t i = 0; i < args.positional.size(); ++i) {
    std::string arg = args.positional[i];
    Verdict v = CheckOneRef(inst, ctx.config, arg, "");
    // A ref that did not parse is shown as typed: not when it holds a key
    // this run resolved (an earlier REF's) either.
    std::string name = v.shown;
    if (v.shown.empty() || ArgLooksLikeKey(arg, &inst.redactor()) ||
        ArgLooksLikeKey(v.shown, &inst.redactor())) {
      v.shown.clear();
      name = HiddenArg(ctx, arg);
      SecureZero(arg.data(), arg.size());
    }
    if (!v.ok && exit_status == kExitOk) exit_status = v.error.exit;
    results.push_back(VerdictJson(v));
    if (v.ok) {
      text += "ok    " + name +
              (v.info.fingerprint.empty() ? "" : "  " + v.info.fingerprint) +
              "\n";
      if (v.info.binding_problem) {
        const CliError w = BindingProblemError(*v.info.binding_problem);
        text += "      warning: " + w.code + ": " + w.message + "\n" +
                "      hint: " + w.hint + "\n";
      }
    } else {
      text +=
          "FAIL  " + name + "  " + v.error.code + ": " + v.error.message + "\n";
      if (!v.error.hint.empty()) text += "      hint: " + v.error.hint + "\n";
    }
  }
  PrintResult(ctx, Json{{"ok", exit_status == kExitOk}, {"results", results}},
              text);
  return exit_status;
}

}  // namespace

void AddCheckCommands(std::vector<Command>* out) {
  out->push_back(
      {"",
       "check",
       "check REF...",
       "Check refs: valid, allowed, and resolvable now (exit 0 only if all "
       "are).",
       "Each REF is an apiKeyRef (keyring:…, env:…, pass:…, op://…, file:…).\n"
       "secret: refs live in the editor's own secret store, which a\n"
       "terminal cannot reach; they are reported as SOURCE_UNAVAILABLE.\n"
       "A key given by mistake is reported as REF_LITERAL_SECRET and is\n"
       "never echoed (rotate it: it is in your shell history).\n",
       {{}, {}, 1, SIZE_MAX},
       Check});
}

}  // namespace keyref::cli
