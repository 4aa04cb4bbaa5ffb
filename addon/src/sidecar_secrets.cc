// Sidecar methods of secret resolution: check, status,
// storeSecret, deleteSecret. Glue only: the rules are in keyref::Instance
// and the sources. Blocking work runs on the per-environment WorkPool; the
// JS thread only parses refs, answers cache hits and env: refs (both
// cheap), and settles promises. Nothing here hands a secret value to JS.
//
// Results are built with the raw Node-API builders of result_values.h,
// errors with ErrorValue (the one maker of JS errors, errors.cc).
#include <memory>
#include <string>
#include <vector>

#include "addon_data.h"
#include "errors.h"
#include "host_store.h"
#include "keyref/secret_value.h"
#include "result_values.h"
#include "sidecar.h"
#include "work_pool.h"

namespace keyref::addon {
namespace {

napi_value CheckResult(napi_env env, const Instance& inst,
                       const Result<Scheme>& r) {
  napi_value o = nullptr;
  if (napi_create_object(env, &o) != napi_ok) return nullptr;
  SetBool(env, o, "ok", r.ok());
  if (r.ok()) {
    SetStr(env, o, "scheme", SchemeName(r.value()));
    return o;
  }
  SetErrorFields(env, o, inst, r.error());
  return o;
}

}  // namespace

std::shared_ptr<HostSecretStore> Sidecar::HostStoreFromJs(
    Napi::Env env, const Napi::Object& options) {
  AddonData* data = GetData(env);
  if (!data->pool) data->pool = std::make_unique<WorkPool>(env);
  Napi::Value store = options.Get("secretStorage");
  if (!store.IsObject()) return nullptr;
  return MakeJsHostStore(env, store.As<Napi::Object>(), *data->pool);
}

// check(ref): Promise<{ok: true, scheme} | {ok: false, code, message, hint?}>
Napi::Value Sidecar::Check(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RefText ref;
  ReadRef(env, info[0], "check", &ref);
  napi_deferred d;
  napi_value promise = NewPromise(env, &d);
  std::shared_ptr<Instance> inst = instance_;
  if (RejectIfClosed(env, *inst, d)) return Napi::Value(env, promise);
  // Parse on the JS thread: cheap, and a refused ref (maybe a pasted key)
  // never leaves this stack frame.
  RefCheck c = CheckRef(ref.text(), inst->policy().allow, ref.truncated);
  if (!c.ok()) {
    SettleDeferred(env, d, true, CheckResult(env, *inst, DescribeRefError(c)));
    return Napi::Value(env, promise);
  }
  Scheme cached;
  if (inst->CheckCached(ref.text(), &cached)) {
    SettleDeferred(env, d, true, CheckResult(env, *inst, cached));
    return Napi::Value(env, promise);
  }
  if (c.scheme == Scheme::kEnv) {
    // The environment the instance captured (process_env.h): reading it
    // does not block, so no trip to a worker.
    SettleDeferred(env, d, true,
                   CheckResult(env, *inst, inst->Check(ref.text())));
    return Napi::Value(env, promise);
  }
  GetPool(env).Submit(
      env,
      [inst, d, text = std::string(ref.text())]() -> WorkPool::Done {
        Result<Scheme> r = inst->Check(text);
        return [inst, d, r = std::move(r)](napi_env env) {
          SettleDeferred(env, d, true, CheckResult(env, *inst, r));
        };
      },
      [inst, d](napi_env env) {
        SettleDeferred(env, d, true, CheckResult(env, *inst, InternalError()));
      });
  return Napi::Value(env, promise);
}

// status(): Promise<Array<{scheme, enabled, available, reason?}>>
Napi::Value Sidecar::GetStatus(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  napi_deferred d;
  napi_value promise = NewPromise(env, &d);
  std::shared_ptr<Instance> inst = instance_;
  GetPool(env).Submit(
      env,
      [inst, d]() -> WorkPool::Done {
        std::vector<SchemeStatus> all = inst->SchemeStatuses();
        return [inst, d, all = std::move(all)](napi_env env) {
          napi_value out = nullptr;
          if (napi_create_array_with_length(env, all.size(), &out) != napi_ok) {
            SettleDeferred(env, d, false, nullptr);
            return;
          }
          for (std::size_t i = 0; i < all.size(); ++i) {
            napi_value o;
            if (napi_create_object(env, &o) != napi_ok) break;
            SetStr(env, o, "scheme", SchemeName(all[i].scheme));
            SetBool(env, o, "enabled", all[i].enabled);
            SetBool(env, o, "available", all[i].available);
            if (!all[i].reason.empty()) {
              SetStr(env, o, "reason", inst->redactor().Redact(all[i].reason));
            }
            napi_set_element(env, out, static_cast<std::uint32_t>(i), o);
          }
          SettleDeferred(env, d, true, out);
        };
      },
      RejectInternal(inst, d));
  return Napi::Value(env, promise);
}

// storeSecret(ref, value, origins: string[]): Promise<void>. Write-only:
// nothing reads back. `origins` (checked by addon/ts/origins.ts, parsed
// again here) is recorded next to the key (docs/origins.md).
Napi::Value Sidecar::StoreSecret(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RefText ref;
  ReadRef(env, info[0], "storeSecret", &ref);
  if (info.Length() < 2 || !info[1].IsString()) {
    throw MakeArgError(env, false, "ERR_INVALID_ARG_TYPE",
                       "storeSecret(ref: string, value: string)");
  }
  auto options = std::make_shared<StoreOptions>();
  options->origins = OriginsFromJs(env, info[2]);
  napi_deferred d;
  napi_value promise = NewPromise(env, &d);
  std::shared_ptr<Instance> inst = instance_;
  std::shared_ptr<ParsedRef> pref = ParseOrReject(env, inst, d, ref);
  if (!pref) return Napi::Value(env, promise);
  // HAZARD: the value. Copied from the JS string into a SecretValue through
  // a wiped buffer; the JS string itself is the caller's.
  std::size_t len = 0;
  napi_get_value_string_utf8(env, info[1], nullptr, 0, &len);
  if (Status st = CheckSecretSize(len); !st) {  // refused before any copy
    SettleDeferred(env, d, false,
                   ErrorValue(env, st.error(), &inst->redactor()));
    return Napi::Value(env, promise);
  }
  std::vector<char> buf(len + 1);
  napi_get_value_string_utf8(env, info[1], buf.data(), buf.size(), &len);
  auto value = std::make_shared<keyref::SecretValue>(
      keyref::SecretValue::FromBytes(buf.data(), len));
  SecureZero(buf.data(), buf.size());
  SubmitStatus(env, inst, d, [inst, pref, value, options]() {
    Status st = inst->Store(*pref, *value, *options);
    value->Wipe();
    return st;
  });
  return Napi::Value(env, promise);
}

// deleteSecret(ref): Promise<void>.
Napi::Value Sidecar::DeleteSecret(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RefText ref;
  ReadRef(env, info[0], "deleteSecret", &ref);
  napi_deferred d;
  napi_value promise = NewPromise(env, &d);
  std::shared_ptr<Instance> inst = instance_;
  std::shared_ptr<ParsedRef> pref = ParseOrReject(env, inst, d, ref);
  if (!pref) return Napi::Value(env, promise);
  SubmitStatus(env, inst, d, [inst, pref]() { return inst->Delete(*pref); });
  return Napi::Value(env, promise);
}

}  // namespace keyref::addon
