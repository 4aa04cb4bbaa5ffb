// secret:NAME — the host's secret store (VS Code SecretStorage or anything
// shaped like it), reached through the HostSecretStore the addon provides.
#include "keyref/source.h"
#include "sources/sources.h"

namespace keyref::sources {
namespace {

const char kNoHostHint[] =
    "Pass the extension's context.secrets (or any object with get, store "
    "and delete) as the secretStorage option of new Sidecar().";

class HostSource final : public SecretSource {
 public:
  explicit HostSource(const SourceConfig& c)
      : host_(c.host), timeout_(c.timeout) {}

  Scheme scheme() const noexcept override { return Scheme::kSecret; }

  Result<SecretValue> Resolve(const ParsedRef& ref) override {
    if (!host_) return NoHost();
    return host_->Get(ref.name, timeout_);
  }

  Status Store(const ParsedRef& ref, const SecretValue& value) override {
    if (!host_) return NoHost();
    return host_->Store(ref.name, value, timeout_);
  }

  Status Delete(const ParsedRef& ref) override {
    if (!host_) return NoHost();
    return host_->Delete(ref.name, timeout_);
  }

  SourceProbe Probe() override {
    if (!host_) return {false, "no secretStorage was given to new Sidecar()"};
    return {true, {}};
  }

 private:
  static Error NoHost() {
    return Error(ErrorCode::kSourceUnavailable,
                 "No host secret store is connected, so secret: refs cannot "
                 "be resolved.",
                 kNoHostHint);
  }

  std::shared_ptr<HostSecretStore> host_;
  std::chrono::milliseconds timeout_;
};

}  // namespace

std::unique_ptr<SecretSource> MakeHostSource(const SourceConfig& config) {
  return std::make_unique<HostSource>(config);
}

}  // namespace keyref::sources
