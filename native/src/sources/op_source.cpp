// op://VAULT/ITEM/[SECTION/]FIELD — the 1Password CLI: `op read REF`.
#include "keyref/log.h"
#include "keyref/source.h"
#include "sources/child_process.h"
#include "sources/sources.h"

namespace keyref::sources {
namespace {

// Larger than any key; a bigger output is refused, not truncated.
constexpr std::size_t kMaxOutput = 8u << 20;

bool Has(const std::string& text, const char* needle) {
  return text.find(needle) != std::string::npos;
}

class OpSource final : public SecretSource {
 public:
  explicit OpSource(const SourceConfig& c)
      : program_(c.op_program), timeout_(c.timeout) {}

  Scheme scheme() const noexcept override { return Scheme::kOp; }

  Result<SecretValue> Resolve(const ParsedRef& ref) override {
    // Fixed argv, no shell: the ref was validated by the v1 parser (it
    // starts with "op://", so it cannot be read as an option).
    ChildResult r = RunChild({program_, "read", "--no-newline", ref.ref},
                             timeout_, kMaxOutput);
    Result<SecretValue> out = Classify(r);
    SecureZero(r.err.data(), r.err.size());
    return out;
  }

  SourceProbe Probe() override {
    if (!ProgramOnPath(program_)) {
      return {false, "op (the 1Password CLI) is not installed or not on PATH"};
    }
    return {true, {}};
  }

 private:
  static Result<SecretValue> Classify(ChildResult& r) {
    using O = ChildResult::Outcome;
    switch (r.outcome) {
      case O::kNotFound:
        return Error(ErrorCode::kSourceUnavailable,
                     "op (the 1Password CLI) is not installed or not on "
                     "PATH.",
                     "Install the 1Password CLI and make sure the editor's "
                     "PATH includes it, or use secret: or keyring: refs.");
      case O::kTimedOut:
        return Error(ErrorCode::kSourceTimeout,
                     "op read did not finish in time and was stopped.",
                     "1Password may be waiting for approval (biometric or "
                     "system prompt). Unlock it and retry, or raise "
                     "policy.resolveTimeoutMs.");
      case O::kTooLarge:
        return Error(ErrorCode::kSecretMalformed,
                     "op read printed more than 8 MiB; that is not a key.",
                     "Point the op:// ref at the field that holds the key.");
      case O::kSpawnFailed:
        return Error(ErrorCode::kSourceUnavailable, "op could not be started.",
                     "Check that the op binary is executable.");
      case O::kExited:
        break;
    }
    if (r.exit_status == 0) {
      // --no-newline asks op not to add one; drop one if it did anyway.
      std::string_view v = r.out.Reveal();
      if (!v.empty() && v.back() == '\n') r.out.Truncate(v.size() - 1);
      return std::move(r.out);
    }
    r.out.Wipe();
    // op's messages are classified, never passed on: stderr may echo
    // parts of items.
    const std::string& e = r.err;
    if (Has(e, "not currently signed in") || Has(e, "signed in") ||
        Has(e, "signin") || Has(e, "session expired") ||
        Has(e, "authorization prompt dismissed") || Has(e, "locked")) {
      return Error(ErrorCode::kSourceLocked,
                   "op is signed out or locked, so the op:// ref cannot be "
                   "read.",
                   "Run `op signin` (or unlock the 1Password app with CLI "
                   "integration) and retry.");
    }
    if (Has(e, "isn't an item") || Has(e, "isn't a vault") ||
        Has(e, "isn't a field") || Has(e, "no item found") ||
        Has(e, "not found") || Has(e, "does not have a field")) {
      return Error(ErrorCode::kSecretNotFound,
                   "1Password has no such vault, item or field for this "
                   "op:// ref.",
                   "Copy the secret reference from 1Password (Copy Secret "
                   "Reference) and check vault, item and field names.");
    }
    return Error(ErrorCode::kSourceUnavailable,
                 "op read failed with exit status " +
                     std::to_string(r.exit_status) + ".",
                 "Run `op read` on the ref in a terminal to see op's own "
                 "message (keyref does not repeat it).");
  }

  std::string program_;
  std::chrono::milliseconds timeout_;
};

}  // namespace

std::unique_ptr<SecretSource> MakeOpSource(const SourceConfig& config) {
  return std::make_unique<OpSource>(config);
}

}  // namespace keyref::sources
