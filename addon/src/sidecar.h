// The JS class Sidecar: a thin ObjectWrap over keyref::Instance. Method
// bodies live in one file per feature (sidecar_*.cc); this file only wires
// them. The TypeScript class in addon/ts/sidecar.ts validates options first.
#pragma once

#include <napi.h>

#include <cstddef>
#include <memory>
#include <vector>

#include "keyref/instance.h"

namespace keyref::addon {

struct RequestChannel;  // sidecar_request.cc

class Sidecar : public Napi::ObjectWrap<Sidecar> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  // new NativeSidecar(options): options already validated and normalised
  // by addon/ts/sidecar.ts (see NativeSidecarOptions there).
  explicit Sidecar(const Napi::CallbackInfo& info);
  ~Sidecar() override;

  // Shared so that work running on other threads keeps the instance alive
  // after the JS object is collected; Close() wipes it either way.
  const std::shared_ptr<Instance>& instance() const { return instance_; }

  // Unwraps `value` as a Sidecar of this addon, or throws a TypeError.
  // (Objects made by another loaded copy of the addon are refused.)
  static Sidecar* FromJs(Napi::Env env, Napi::Value value);

 private:
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value RedactStream(const Napi::CallbackInfo& info);
  // Profile export with secrets (sidecar_export.cc).
  Napi::Value SecretExportAllowed(const Napi::CallbackInfo& info);
  Napi::Value ExportWithSecrets(const Napi::CallbackInfo& info);
  // sidecar_request.cc
  Napi::Value Request(const Napi::CallbackInfo& info);
  Napi::Value AbortRequest(const Napi::CallbackInfo& info);
  // Secret resolution (sidecar_secrets.cc).
  Napi::Value Check(const Napi::CallbackInfo& info);
  Napi::Value GetStatus(const Napi::CallbackInfo& info);
  Napi::Value StoreSecret(const Napi::CallbackInfo& info);
  Napi::Value DeleteSecret(const Napi::CallbackInfo& info);
  // Origins, fingerprints, the audit trail (sidecar_origins.cc).
  Napi::Value BindOrigins(const Napi::CallbackInfo& info);
  Napi::Value Describe(const Napi::CallbackInfo& info);
  Napi::Value Audit(const Napi::CallbackInfo& info);
  static std::shared_ptr<HostSecretStore> HostStoreFromJs(
      Napi::Env env, const Napi::Object& options);

  std::shared_ptr<Instance> instance_;
  // The channel requests report back through (sidecar_request.cc).
  std::shared_ptr<RequestChannel> requests_;
};

// Defines self.redact(text), the host's own scrubbing call, as a function
// bound to `instance` (sidecar_redact.cc; not a prototype method, so that the
// call that hosts make per log line skips the ObjectWrap unwrap).
void DefineRedact(Napi::Env env, Napi::Object self,
                  std::shared_ptr<Instance> instance);

// For the test build's hooks (test_hooks.cc): the size of this thread's
// redact() input buffer, and this environment's pool of result memory.
struct RedactStats {
  std::size_t scratch_bytes = 0;
  std::size_t pooled = 0;
  std::size_t pooled_bytes = 0;
  std::size_t reused = 0;  // results that took their memory from the pool
};
RedactStats GetRedactStats(napi_env env);

// Reads the normalised policy object the TypeScript layer passes.
Policy PolicyFromJs(const Napi::Object& options);

// originPattern(text) and originOf(baseUrl) (sidecar_origins.cc).
void InitOriginBinding(Napi::Env env, Napi::Object exports);

// An array of origin strings (undefined: none) as patterns; throws a
// TypeError, or the BAD_ORIGIN error, for one that does not parse (the TS
// layer refused it first). sidecar_origins.cc.
std::vector<OriginPattern> OriginsFromJs(Napi::Env env, Napi::Value v);

}  // namespace keyref::addon
