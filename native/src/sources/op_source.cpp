// op://VAULT/ITEM/[SECTION/]FIELD — the 1Password CLI: `op read REF`.
#include "keyref/log.h"
#include "keyref/source.h"
#include "sources/child_process.h"
#include "sources/cli_source.h"
#include "sources/sources.h"

namespace keyref::sources {
namespace {

// --no-newline asks op not to add one; drop one if it did anyway.
void TrimOp(SecretValue& out) {
  std::string_view v = out.Reveal();
  if (!v.empty() && v.back() == '\n') out.Truncate(v.size() - 1);
}

// op's messages are classified, never passed on: stderr may echo parts of
// items.
Error ClassifyOp(const std::string& e, int exit_status) {
  if (Mentions(
          e, {"not currently signed in", "signed in", "signin",
              "session expired", "authorization prompt dismissed", "locked"})) {
    return Error(ErrorCode::kSourceLocked,
                 "op is signed out or locked, so the op:// ref cannot be "
                 "read.",
                 "Run `op signin` (or unlock the 1Password app with CLI "
                 "integration) and retry.");
  }
  if (Mentions(e, {"isn't an item", "isn't a vault", "isn't a field",
                   "no item found", "not found", "does not have a field"})) {
    return Error(ErrorCode::kSecretNotFound,
                 "1Password has no such vault, item or field for this "
                 "op:// ref.",
                 "Copy the secret reference from 1Password (Copy Secret "
                 "Reference) and check vault, item and field names.");
  }
  return Error(
      ErrorCode::kSourceUnavailable,
      "op read failed with exit status " + std::to_string(exit_status) + ".",
      "Run `op read` on the ref in a terminal to see op's own "
      "message (keyref does not repeat it).");
}

const CliDialect& OpDialect() {
  static const CliDialect d{
      {Error(ErrorCode::kSourceUnavailable,
             "op (the 1Password CLI) is not installed or not on "
             "PATH.",
             "Install the 1Password CLI and make sure the editor's "
             "PATH includes it, or use secret: or keyring: refs."),
       Error(ErrorCode::kSourceTimeout,
             "op read did not finish in time and was stopped.",
             "1Password may be waiting for approval (biometric or "
             "system prompt). Unlock it and retry, or raise "
             "policy.resolveTimeoutMs."),
       Error(ErrorCode::kSecretMalformed,
             "op read printed more than 8 MiB; that is not a key.",
             "Point the op:// ref at the field that holds the key."),
       Error(ErrorCode::kSourceUnavailable, "op could not be started.",
             "Check that the op binary is executable.")},
      TrimOp,
      ClassifyOp};
  return d;
}

class OpSource final : public SecretSource {
 public:
  explicit OpSource(const SourceConfig& c)
      : program_(c.op_program), timeout_(c.timeout), env_(EnvOf(c)) {}

  Scheme scheme() const noexcept override { return Scheme::kOp; }

  Result<SecretValue> Resolve(const ParsedRef& ref) override {
    // Fixed argv, no shell: the ref was validated by the v1 parser (it
    // starts with "op://", so it cannot be read as an option).
    return RunCliSource({program_, "read", "--no-newline", ref.ref}, *env_,
                        timeout_, OpDialect());
  }

  SourceProbe Probe() override {
    if (!ProgramOnPath(program_, *env_)) {
      return {false, "op (the 1Password CLI) is not installed or not on PATH"};
    }
    return {true, {}};
  }

 private:
  std::string program_;
  std::chrono::milliseconds timeout_;
  std::shared_ptr<const ProcessEnv> env_;
};

}  // namespace

std::unique_ptr<SecretSource> MakeOpSource(const SourceConfig& config) {
  return std::make_unique<OpSource>(config);
}

}  // namespace keyref::sources
