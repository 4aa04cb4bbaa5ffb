// Sidecar methods about where keys may go (docs/origins.md): bindOrigins,
// describe, audit; and the module functions originPattern / originOf the
// TypeScript layer checks options with. Glue only: the rules are in
// native/include/keyref/origin.h and keyref::Instance. Nothing here hands a
// secret value to JS: describe returns a fingerprint (a keyed digest), never
// the key.
#include <memory>
#include <string>
#include <vector>

#include "addon_data.h"
#include "errors.h"
#include "js_values.h"
#include "keyref/secret_value.h"
#include "result_values.h"
#include "sidecar.h"
#include "work_pool.h"

namespace keyref::addon {
namespace {

napi_value DescriptionValue(napi_env env, const Instance& inst,
                            const KeyDescription& d) {
  napi_value o = nullptr;
  if (napi_create_object(env, &o) != napi_ok) return nullptr;
  SetBool(env, o, "ok", d.check.ok());
  if (!d.check.ok()) SetErrorFields(env, o, inst, d.check.error());
  SetStr(env, o, "fingerprint", d.fingerprint);
  SetStrings(env, o, "origins", d.binding.OriginTexts());
  SetStrings(env, o, "replacedOrigins", d.replaced_origins);
  if (d.binding_problem) {
    // {code, message, hint}: why the stored origins are not in `origins`.
    napi_value p = nullptr;
    if (napi_create_object(env, &p) != napi_ok) return nullptr;
    SetErrorFields(env, p, inst, *d.binding_problem);
    napi_set_named_property(env, o, "bindingProblem", p);
  }
  SetNum(env, o, "storedAt", static_cast<double>(d.stored_at_ms));
  SetNum(env, o, "lastUsedAt", static_cast<double>(d.last_used_at_ms));
  return o;
}

napi_value AuditValue(napi_env env, const std::vector<AuditRecord>& records) {
  napi_value arr = nullptr;
  if (napi_create_array_with_length(env, records.size(), &arr) != napi_ok) {
    return nullptr;
  }
  for (std::size_t i = 0; i < records.size(); ++i) {
    // The JS shape is the file's: one JSON line, parsed by JSON.parse in
    // the TS layer would cost a string per record; build it directly.
    const AuditRecord& r = records[i];
    napi_value o;
    if (napi_create_object(env, &o) != napi_ok) return arr;
    std::string line = AuditRecordToJson(r);
    napi_value json, global, json_obj, parse, parsed;
    if (napi_create_string_utf8(env, line.data(), line.size(), &json) ==
            napi_ok &&
        napi_get_global(env, &global) == napi_ok &&
        napi_get_named_property(env, global, "JSON", &json_obj) == napi_ok &&
        napi_get_named_property(env, json_obj, "parse", &parse) == napi_ok &&
        napi_call_function(env, json_obj, parse, 1, &json, &parsed) ==
            napi_ok) {
      o = parsed;
    }
    napi_set_element(env, arr, static_cast<std::uint32_t>(i), o);
  }
  return arr;
}

// originPattern(text): the canonical text, or throws BAD_ORIGIN.
Napi::Value OriginPatternJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) {
    throw MakeArgError(env, false, "ERR_INVALID_ARG_TYPE",
                       "originPattern(text: string)");
  }
  Result<OriginPattern> p =
      ParseOriginPattern(info[0].As<Napi::String>().Utf8Value());
  if (!p) throw MakeError(env, p.error());
  return Napi::String::New(env, p.value().ToString());
}

// originOf(baseUrl): "https://host[:port]", or throws BAD_BASE_URL.
Napi::Value OriginOfJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) {
    throw MakeArgError(env, false, "ERR_INVALID_ARG_TYPE",
                       "originOf(baseUrl: string)");
  }
  Result<BaseUrl> url = ParseBaseUrl(info[0].As<Napi::String>().Utf8Value());
  if (!url) throw MakeError(env, url.error());
  return Napi::String::New(env, OriginOf(url.value()).ToString());
}

}  // namespace

std::vector<OriginPattern> OriginsFromJs(Napi::Env env, Napi::Value v) {
  std::vector<OriginPattern> out;
  if (v.IsUndefined()) return out;
  if (!v.IsArray()) {
    throw MakeArgError(env, false, "ERR_INVALID_ARG_TYPE",
                       "origins must be an array of strings");
  }
  Napi::Array a = v.As<Napi::Array>();
  for (std::uint32_t i = 0; i < a.Length(); ++i) {
    Napi::Value o = a.Get(i);
    if (!o.IsString()) {
      throw MakeArgError(env, false, "ERR_INVALID_ARG_TYPE",
                         "origins must be an array of strings");
    }
    Result<OriginPattern> p =
        ParseOriginPattern(o.As<Napi::String>().Utf8Value());
    if (!p) throw MakeError(env, p.error());
    out.push_back(std::move(p).value());
  }
  return out;
}

void InitOriginBinding(Napi::Env env, Napi::Object exports) {
  exports.Set("originPattern", Napi::Function::New(env, OriginPatternJs));
  exports.Set("originOf", Napi::Function::New(env, OriginOfJs));
}

// bindOrigins(ref, origins, add, fingerprint): Promise<void>. `add` keeps
// the origins recorded for the key stored now; a non-empty `fingerprint` is
// the key the person was shown: another one stored now is KEY_CHANGED
// (Instance::Bind).
Napi::Value Sidecar::BindOrigins(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RefText ref;
  ReadRef(env, info[0], "bindOrigins", &ref);
  auto origins =
      std::make_shared<std::vector<OriginPattern>>(OriginsFromJs(env, info[1]));
  if (!info[2].IsBoolean()) {
    throw MakeArgError(env, false, "ERR_INVALID_ARG_TYPE",
                       "add must be a boolean");
  }
  const bool add = info[2].As<Napi::Boolean>().Value();
  if (!info[3].IsString()) {
    throw MakeArgError(env, false, "ERR_INVALID_ARG_TYPE",
                       "fingerprint must be a string");
  }
  std::optional<std::string> expected;
  if (std::string fp = info[3].As<Napi::String>().Utf8Value(); !fp.empty()) {
    expected = std::move(fp);
  }
  napi_deferred d;
  napi_value promise = NewPromise(env, &d);
  std::shared_ptr<Instance> inst = instance_;
  std::shared_ptr<ParsedRef> pref = ParseOrReject(env, inst, d, ref);
  if (!pref) return Napi::Value(env, promise);
  SubmitStatus(env, inst, d, [inst, pref, origins, add, expected]() {
    return inst->Bind(*pref, *origins, add, expected);
  });
  return Napi::Value(env, promise);
}

// describe(ref, provider | ''): Promise<{ok, code?, message?, hint?,
// fingerprint, origins, replacedOrigins, storedAt, lastUsedAt}>.
Napi::Value Sidecar::Describe(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RefText ref;
  ReadRef(env, info[0], "describe", &ref);
  std::optional<Provider> provider;
  if (info.Length() > 1 && info[1].IsString()) {
    Provider p;
    if (ProviderFromName(info[1].As<Napi::String>().Utf8Value(), &p)) {
      provider = p;
    }
  }
  napi_deferred d;
  napi_value promise = NewPromise(env, &d);
  std::shared_ptr<Instance> inst = instance_;
  if (RejectIfClosed(env, *inst, d)) return Napi::Value(env, promise);
  Result<ParsedRef> parsed = ParseRef(ref.text(), inst->policy().allow);
  if (!parsed) {
    KeyDescription desc;
    desc.check = parsed.error();
    SettleDeferred(env, d, true, DescriptionValue(env, *inst, desc));
    return Napi::Value(env, promise);
  }
  auto pref = std::make_shared<ParsedRef>(std::move(parsed).value());
  GetPool(env).Submit(
      env,
      [inst, d, pref, provider]() -> WorkPool::Done {
        auto desc =
            std::make_shared<KeyDescription>(inst->Describe(*pref, provider));
        return [inst, d, desc](napi_env env) {
          SettleDeferred(env, d, true, DescriptionValue(env, *inst, *desc));
        };
      },
      RejectInternal(inst, d));
  return Napi::Value(env, promise);
}

// audit(n): Promise<AuditRecord[]> (oldest first).
Napi::Value Sidecar::Audit(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::size_t n =
      info.Length() > 0 && info[0].IsNumber()
          ? static_cast<std::size_t>(info[0].As<Napi::Number>().Int64Value())
          : 100;
  napi_deferred d;
  napi_value promise = NewPromise(env, &d);
  std::shared_ptr<Instance> inst = instance_;
  GetPool(env).Submit(
      env,
      [inst, d, n]() -> WorkPool::Done {
        auto tail = std::make_shared<Result<std::vector<AuditRecord>>>(
            inst->AuditTail(n));
        return [inst, d, tail](napi_env env) {
          if (!tail->ok()) {
            SettleDeferred(env, d, false,
                           ErrorValue(env, tail->error(), &inst->redactor()));
            return;
          }
          SettleDeferred(env, d, true, AuditValue(env, tail->value()));
        };
      },
      RejectInternal(inst, d));
  return Napi::Value(env, promise);
}

}  // namespace keyref::addon
