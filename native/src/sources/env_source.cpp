// env:NAME — the process environment.
#include <cstdlib>
#include <cstring>

#include "keyref/source.h"
#include "sources/sources.h"

namespace keyref::sources {
namespace {

class EnvSource final : public SecretSource {
 public:
  Scheme scheme() const noexcept override { return Scheme::kEnv; }

  Result<SecretValue> Resolve(const ParsedRef& ref) override {
    // getenv races with setenv on another thread (process.env.X = … in JS
    // runs setenv on the JS thread). The addon therefore resolves env: refs
    // on the JS thread; other callers must not change the environment
    // concurrently.
    const char* v = std::getenv(ref.name.c_str());
    if (!v) {
      return Error(ErrorCode::kSecretNotFound,
                   "The environment variable " + ref.name + " is not set.",
                   "Set it in the environment the editor is started from "
                   "(a shell profile, or the launcher), then restart it.");
    }
    return SecretValue::FromBytes(v, std::strlen(v));
  }

  SourceProbe Probe() override { return {true, {}}; }
};

}  // namespace

std::unique_ptr<SecretSource> MakeEnvSource(const SourceConfig&) {
  return std::make_unique<EnvSource>();
}

}  // namespace keyref::sources
