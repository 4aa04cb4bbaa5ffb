// pass:PATH — pass(1): `pass show PATH`, first line.
#include <sys/stat.h>

#include "keyref/source.h"
#include "sources/child_process.h"
#include "sources/cli_source.h"
#include "sources/sources.h"

namespace keyref::sources {
namespace {

std::string StoreDir(const ProcessEnv& env) {
  const char* dir = env.Get("PASSWORD_STORE_DIR");
  if (dir && *dir) return dir;
  const char* home = env.Get("HOME");
  return std::string(home ? home : "") + "/.password-store";
}

// pass convention: the password is the first line; the rest is metadata
// that must not be sent.
void TrimPass(SecretValue& out) {
  std::string_view v = out.Reveal();
  std::size_t nl = v.find('\n');
  if (nl != std::string_view::npos) out.Truncate(nl);
}

Error ClassifyPass(const std::string& e, int exit_status) {
  if (Mentions(e, {"is not in the password store"})) {
    return Error(ErrorCode::kSecretNotFound,
                 "The password store has no such entry.",
                 "List entries with `pass ls` and check the pass: path.");
  }
  if (Mentions(e, {"password store is empty", "pass init"})) {
    return Error(ErrorCode::kSourceUnavailable,
                 "The password store is not initialised.",
                 "Run `pass init GPG-ID` first.");
  }
  if (Mentions(e, {"decryption failed", "No secret key", "No pinentry",
                   "Inappropriate ioctl", "Operation cancelled"})) {
    return Error(ErrorCode::kSourceLocked,
                 "gpg could not decrypt the pass entry (the key is locked "
                 "or missing).",
                 "Unlock the gpg key in gpg-agent (for example by running "
                 "`pass show` once in a terminal) and retry.");
  }
  return Error(
      ErrorCode::kSourceUnavailable,
      "pass show failed with exit status " + std::to_string(exit_status) + ".",
      "Run `pass show` on the path in a terminal to see its own "
      "message (keyref does not repeat it).");
}

const CliDialect& PassDialect() {
  static const CliDialect d{
      {Error(ErrorCode::kSourceUnavailable,
             "pass is not installed or not on PATH.",
             "Install pass (Debian: apt install pass) or use "
             "secret: or keyring: refs."),
       Error(ErrorCode::kSourceTimeout,
             "pass show did not finish in time and was stopped.",
             "gpg may be waiting for a passphrase (pinentry). Unlock "
             "the key with gpg-agent first, or raise "
             "policy.resolveTimeoutMs."),
       Error(ErrorCode::kSecretMalformed,
             "pass show printed more than 8 MiB; that is not a key.",
             "Point the pass: ref at the entry that holds the key."),
       Error(ErrorCode::kSourceUnavailable, "pass could not be started.",
             "Check that the pass script is executable.")},
      TrimPass,
      ClassifyPass};
  return d;
}

class PassSource final : public SecretSource {
 public:
  explicit PassSource(const SourceConfig& c)
      : program_(c.pass_program), timeout_(c.timeout), env_(EnvOf(c)) {}

  Scheme scheme() const noexcept override { return Scheme::kPass; }

  Result<SecretValue> Resolve(const ParsedRef& ref) override {
    // "--" ends options; the v1 parser already refuses a leading "-".
    return RunCliSource({program_, "show", "--", ref.name}, *env_, timeout_,
                        PassDialect());
  }

  SourceProbe Probe() override {
    if (!ProgramOnPath(program_, *env_)) {
      return {false, "pass is not installed or not on PATH"};
    }
    struct stat sb;
    if (stat((StoreDir(*env_) + "/.gpg-id").c_str(), &sb) != 0) {
      return {false, "no password store (run `pass init GPG-ID`)"};
    }
    return {true, {}};
  }

 private:
  std::string program_;
  std::chrono::milliseconds timeout_;
  std::shared_ptr<const ProcessEnv> env_;
};

}  // namespace

std::unique_ptr<SecretSource> MakePassSource(const SourceConfig& config) {
  return std::make_unique<PassSource>(config);
}

}  // namespace keyref::sources
