// pass:PATH — pass(1): `pass show PATH`, first line.
#include <sys/stat.h>

#include <cstdlib>

#include "keyref/source.h"
#include "sources/child_process.h"
#include "sources/sources.h"

namespace keyref::sources {
namespace {

constexpr std::size_t kMaxOutput = 8u << 20;

bool Has(const std::string& text, const char* needle) {
  return text.find(needle) != std::string::npos;
}

std::string StoreDir() {
  const char* dir = std::getenv("PASSWORD_STORE_DIR");
  if (dir && *dir) return dir;
  const char* home = std::getenv("HOME");
  return std::string(home ? home : "") + "/.password-store";
}

class PassSource final : public SecretSource {
 public:
  explicit PassSource(const SourceConfig& c)
      : program_(c.pass_program), timeout_(c.timeout) {}

  Scheme scheme() const noexcept override { return Scheme::kPass; }

  Result<SecretValue> Resolve(const ParsedRef& ref) override {
    // "--" ends options; the v1 parser already refuses a leading "-".
    ChildResult r =
        RunChild({program_, "show", "--", ref.name}, timeout_, kMaxOutput);
    Result<SecretValue> out = Classify(r);
    SecureZero(r.err.data(), r.err.size());
    return out;
  }

  SourceProbe Probe() override {
    if (!ProgramOnPath(program_)) {
      return {false, "pass is not installed or not on PATH"};
    }
    struct stat sb;
    if (stat((StoreDir() + "/.gpg-id").c_str(), &sb) != 0) {
      return {false, "no password store (run `pass init GPG-ID`)"};
    }
    return {true, {}};
  }

 private:
  static Result<SecretValue> Classify(ChildResult& r) {
    using O = ChildResult::Outcome;
    switch (r.outcome) {
      case O::kNotFound:
        return Error(ErrorCode::kSourceUnavailable,
                     "pass is not installed or not on PATH.",
                     "Install pass (Debian: apt install pass) or use "
                     "secret: or keyring: refs.");
      case O::kTimedOut:
        return Error(ErrorCode::kSourceTimeout,
                     "pass show did not finish in time and was stopped.",
                     "gpg may be waiting for a passphrase (pinentry). Unlock "
                     "the key with gpg-agent first, or raise "
                     "policy.resolveTimeoutMs.");
      case O::kTooLarge:
        return Error(ErrorCode::kSecretMalformed,
                     "pass show printed more than 8 MiB; that is not a key.",
                     "Point the pass: ref at the entry that holds the key.");
      case O::kSpawnFailed:
        return Error(ErrorCode::kSourceUnavailable,
                     "pass could not be started.",
                     "Check that the pass script is executable.");
      case O::kExited:
        break;
    }
    if (r.exit_status == 0) {
      // pass convention: the password is the first line; the rest is
      // metadata that must not be sent.
      std::string_view v = r.out.Reveal();
      std::size_t nl = v.find('\n');
      if (nl != std::string_view::npos) r.out.Truncate(nl);
      return std::move(r.out);
    }
    r.out.Wipe();
    const std::string& e = r.err;
    if (Has(e, "is not in the password store")) {
      return Error(ErrorCode::kSecretNotFound,
                   "The password store has no such entry.",
                   "List entries with `pass ls` and check the pass: path.");
    }
    if (Has(e, "password store is empty") || Has(e, "pass init")) {
      return Error(ErrorCode::kSourceUnavailable,
                   "The password store is not initialised.",
                   "Run `pass init GPG-ID` first.");
    }
    if (Has(e, "decryption failed") || Has(e, "No secret key") ||
        Has(e, "No pinentry") || Has(e, "Inappropriate ioctl") ||
        Has(e, "Operation cancelled")) {
      return Error(ErrorCode::kSourceLocked,
                   "gpg could not decrypt the pass entry (the key is locked "
                   "or missing).",
                   "Unlock the gpg key in gpg-agent (for example by running "
                   "`pass show` once in a terminal) and retry.");
    }
    return Error(ErrorCode::kSourceUnavailable,
                 "pass show failed with exit status " +
                     std::to_string(r.exit_status) + ".",
                 "Run `pass show` on the path in a terminal to see its own "
                 "message (keyref does not repeat it).");
  }

  std::string program_;
  std::chrono::milliseconds timeout_;
};

}  // namespace

std::unique_ptr<SecretSource> MakePassSource(const SourceConfig& config) {
  return std::make_unique<PassSource>(config);
}

}  // namespace keyref::sources
