#include "sidecar.h"

#include <memory>
#include <string>

#include "addon_data.h"
#include "errors.h"
#include "js_values.h"
#include "sidecar_log.h"
#include "test_hooks.h"

namespace keyref::addon {
namespace {

// Tags objects made by this copy of the addon, so that an object from a
// second loaded copy (its Instance layout may differ) is refused.
constexpr napi_type_tag kSidecarTag = {0x6b657972656673ULL,
                                       0x7369646563617231ULL};

}  // namespace

Policy PolicyFromJs(const Napi::Object& options) {
  Policy p;
  p.allow = SchemeSet::FromBits(static_cast<std::uint8_t>(
      NumberProp(options, "schemeBits", p.allow.bits())));
  p.plaintext_file = StringProp(options, "plaintextFile");
  std::string service = StringProp(options, "keyringService");
  if (!service.empty()) p.keyring_service = service;
  // Options left out keep Policy's defaults (instance.h): the one place
  // they are set.
  p.cache_ttl = MillisProp(options, "cacheTtlMs", p.cache_ttl);
  p.resolve_timeout =
      MillisProp(options, "resolveTimeoutMs", p.resolve_timeout);
  Napi::Value exp = options.Get("allowSecretExport");
  p.allow_secret_export = exp.IsBoolean() && exp.As<Napi::Boolean>().Value();
  // policy.caFile / policy.ca: extra CAs every request trusts; the host's
  // setting, never a request option (a request's own CA plus a proxy it
  // names would read the key).
  p.ca_file = StringProp(options, "caFile");
  p.ca_pem = StringProp(options, "ca");
  Napi::Value bodies = options.Get("logBodies");
  p.log_bodies = bodies.IsBoolean() && bodies.As<Napi::Boolean>().Value();
  // policy.origins as rows [ref, origin, …], checked by addon/ts/origins.ts;
  // parsed again here, and a row that does not parse binds nothing.
  Napi::Value origins = options.Get("origins");
  if (origins.IsArray()) {
    Napi::Array rows = origins.As<Napi::Array>();
    for (std::uint32_t i = 0; i < rows.Length(); ++i) {
      Napi::Value row = rows.Get(i);
      if (!row.IsArray()) continue;
      Napi::Array r = row.As<Napi::Array>();
      if (r.Length() < 1 || !r.Get(0u).IsString()) continue;
      auto& list = p.origins[r.Get(0u).As<Napi::String>().Utf8Value()];
      for (std::uint32_t j = 1; j < r.Length(); ++j) {
        if (!r.Get(j).IsString()) continue;
        Result<OriginPattern> o =
            ParseOriginPattern(r.Get(j).As<Napi::String>().Utf8Value());
        if (o) list.push_back(std::move(o).value());
      }
    }
  }
  return p;
}

void Sidecar::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = DefineClass(
      env, "NativeSidecar",
      {
          InstanceMethod<&Sidecar::Close>("close"),
          InstanceMethod<&Sidecar::RedactStream>("redactStream"),
          InstanceMethod<&Sidecar::SecretExportAllowed>("secretExportAllowed"),
          InstanceMethod<&Sidecar::ExportWithSecrets>("exportWithSecrets"),
          InstanceMethod<&Sidecar::Request>("request"),
          InstanceMethod<&Sidecar::AbortRequest>("abortRequest"),
          InstanceMethod<&Sidecar::Check>("check"),
          InstanceMethod<&Sidecar::GetStatus>("status"),
          InstanceMethod<&Sidecar::StoreSecret>("storeSecret"),
          InstanceMethod<&Sidecar::DeleteSecret>("deleteSecret"),
          InstanceMethod<&Sidecar::BindOrigins>("bindOrigins"),
          InstanceMethod<&Sidecar::Describe>("describe"),
          InstanceMethod<&Sidecar::Audit>("audit"),
      });
  InstallTestHooks(env, ctor);  // none in the shipped addon
  GetData(env)->sidecar_ctor = Napi::Persistent(ctor);
  exports.Set("NativeSidecar", ctor);
  exports.Set("testHooks", Napi::Boolean::New(env, HasTestHooks()));
}

Sidecar::Sidecar(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<Sidecar>(info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) {
    throw MakeArgError(env, false, "ERR_INVALID_ARG_TYPE",
                       "NativeSidecar(options: object)");
  }
  Napi::Object options = info[0].As<Napi::Object>();
  instance_ = std::make_shared<Instance>(PolicyFromJs(options),
                                         HostStoreFromJs(env, options));
  ConfigureLogging(env, *instance_, options);
  AuditOptions audit;
  audit.path = StringProp(options, "auditFilePath");
  audit.max_bytes = static_cast<std::uint64_t>(
      NumberProp(options, "auditFileMaxBytes", 10 << 20));
  audit.max_files =
      static_cast<int>(NumberProp(options, "auditFileMaxFiles", 5));
  if (Status st = instance_->ConfigureAudit(std::move(audit)); !st) {
    instance_->Close();
    throw MakeError(env, st.error());
  }
  napi_type_tag_object(env, info.This(), &kSidecarTag);
  DefineRedact(env, info.This().As<Napi::Object>(), instance_);
}

Sidecar::~Sidecar() {
  if (instance_) instance_->Close();
}

Sidecar* Sidecar::FromJs(Napi::Env env, Napi::Value value) {
  bool tagged = false;
  if (value.IsObject()) {
    napi_check_object_type_tag(env, value, &kSidecarTag, &tagged);
  }
  if (!tagged) {
    throw MakeArgError(env, false, "ERR_INVALID_ARG_TYPE",
                       "expected a Sidecar made by this copy of keyref");
  }
  return Napi::ObjectWrap<Sidecar>::Unwrap(value.As<Napi::Object>());
}

Napi::Value Sidecar::Close(const Napi::CallbackInfo& info) {
  instance_->Close();
  return info.Env().Undefined();
}

// redactStream(text: string, final: boolean): [emit, carry] — one step of
// a StreamScrubber over `text` (the carry of the previous step followed by
// the next piece). `emit` is scrubbed and safe to hand on; `carry` is what
// could still complete a match, to be passed back in front of the next
// piece (bytes the caller gave, unscrubbed). With `final`, everything is
// emitted. docs/redaction.md, "Streams".
Napi::Value Sidecar::RedactStream(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsBoolean()) {
    throw MakeArgError(env, false, "ERR_INVALID_ARG_TYPE",
                       "redactStream(text: string, final: boolean)");
  }
  std::string text = info[0].As<Napi::String>().Utf8Value();
  struct Wipe {
    std::string& s;
    ~Wipe() { SecureZero(s.data(), s.size()); }
  } wipe{text};
  // No fixed holdback: text shown as it streams is held back only as far as
  // the text itself says a match could still complete (redactor.h).
  StreamScrubber scrubber(instance_->redactor(), 0);
  std::string emit = scrubber.Write(text);
  std::string carry;
  if (info[1].As<Napi::Boolean>().Value()) {
    emit += scrubber.Finish();
  } else {
    carry = scrubber.Release();
  }
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, Napi::String::New(env, emit));
  out.Set(1u, Napi::String::New(env, carry));
  SecureZero(carry.data(), carry.size());
  return out;
}

}  // namespace keyref::addon
