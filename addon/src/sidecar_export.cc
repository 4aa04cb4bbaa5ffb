// Sidecar methods of the profile export (docs/profiles.md). The secret-free
// export is written by addon/ts/profiles.ts; only the export WITH secrets is
// here, so that resolved values never return to JavaScript.
#include <string>
#include <utility>
#include <vector>

#include "errors.h"
#include "keyref/profile_export.h"
#include "sidecar.h"

namespace keyref::addon {
namespace {

// Resolves and writes on a libuv worker thread: resolution blocks (keyring,
// host store, child processes) and so does the file I/O.
class ExportWorker : public Napi::AsyncWorker {
 public:
  ExportWorker(Napi::Env env, std::shared_ptr<Instance> instance,
               std::vector<ProfileExportItem> items, std::string path)
      : Napi::AsyncWorker(env),
        deferred_(Napi::Promise::Deferred::New(env)),
        instance_(std::move(instance)),
        items_(std::move(items)),
        path_(std::move(path)) {}

  Napi::Promise Promise() const { return deferred_.Promise(); }

  void Execute() override {
    // Runs off the JS thread; the shared_ptr keeps the instance alive even
    // if the JS Sidecar is collected meanwhile.
    Result<ProfileExportStats> r =
        WriteProfileExportWithSecrets(*instance_, items_, path_);
    if (r) {
      stats_ = r.value();
    } else {
      error_ = std::move(r).error();
      failed_ = true;
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    if (failed_) {
      // Core messages never hold a value; scrub anyway, as every output is.
      error_.message = instance_->redactor().Redact(error_.message);
      error_.hint = instance_->redactor().Redact(error_.hint);
      deferred_.Reject(MakeError(env, error_).Value());
      return;
    }
    Napi::Object result = Napi::Object::New(env);
    result.Set("profiles", static_cast<double>(stats_.profiles));
    result.Set("secrets", static_cast<double>(stats_.secrets));
    deferred_.Resolve(result);
  }

  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  std::shared_ptr<Instance> instance_;
  std::vector<ProfileExportItem> items_;
  std::string path_;
  ProfileExportStats stats_;
  Error error_;
  bool failed_ = false;
};

}  // namespace

// secretExportAllowed(): boolean — what policy.allowSecretExport says, read
// from the instance (the TS layer asks before it shows the confirm modal).
Napi::Value Sidecar::SecretExportAllowed(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(),
                            instance_->policy().allow_secret_export);
}

// exportWithSecrets(items: [profileJson: string, ref: string][],
//                   path: string): Promise<{ profiles, secrets }>
// Internal: only addon/ts/profiles.ts calls it, after its gate.
Napi::Value Sidecar::ExportWithSecrets(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsArray() || !info[1].IsString()) {
    throw MakeArgError(env, false, "ERR_INVALID_ARG_TYPE",
                       "exportWithSecrets(items: [string, string][], "
                       "path: string)");
  }
  Napi::Array arr = info[0].As<Napi::Array>();
  std::vector<ProfileExportItem> items;
  items.reserve(arr.Length());
  for (std::uint32_t i = 0; i < arr.Length(); ++i) {
    Napi::Value v = arr.Get(i);
    if (!v.IsArray()) {
      throw MakeArgError(env, false, "ERR_INVALID_ARG_TYPE",
                         "exportWithSecrets: each item is [json, ref]");
    }
    Napi::Array pair = v.As<Napi::Array>();
    Napi::Value json = pair.Get(0u);
    Napi::Value ref = pair.Get(1u);
    if (!json.IsString() || !ref.IsString()) {
      throw MakeArgError(env, false, "ERR_INVALID_ARG_TYPE",
                         "exportWithSecrets: each item is [json, ref]");
    }
    items.push_back({json.As<Napi::String>().Utf8Value(),
                     ref.As<Napi::String>().Utf8Value()});
  }
  auto* worker = new ExportWorker(env, instance_, std::move(items),
                                  info[1].As<Napi::String>().Utf8Value());
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

}  // namespace keyref::addon
