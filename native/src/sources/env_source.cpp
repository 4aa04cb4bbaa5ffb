// env:NAME — the process environment.
#include <cstring>

#include "keyref/source.h"
#include "sources/sources.h"

namespace keyref::sources {
namespace {

class EnvSource final : public SecretSource {
 public:
  explicit EnvSource(std::shared_ptr<const ProcessEnv> env)
      : env_(std::move(env)) {}

  Scheme scheme() const noexcept override { return Scheme::kEnv; }

  Result<SecretValue> Resolve(const ParsedRef& ref) override {
    // The environment as the instance was made with it, never getenv():
    // this runs on worker threads, and getenv races with setenv
    // (process.env.X = … in JS) on the JS thread (process_env.h).
    const char* v = env_->Get(ref.name);
    if (!v) {
      return Error(ErrorCode::kSecretNotFound,
                   "The environment variable " + ref.name + " is not set.",
                   "Set it in the environment the editor is started from "
                   "(a shell profile, or the launcher), then restart it.");
    }
    return SecretValue::FromBytes(v, std::strlen(v));
  }

  SourceProbe Probe() override { return {true, {}}; }

 private:
  std::shared_ptr<const ProcessEnv> env_;
};

}  // namespace

std::unique_ptr<SecretSource> MakeEnvSource(const SourceConfig& config) {
  return std::make_unique<EnvSource>(EnvOf(config));
}

}  // namespace keyref::sources
