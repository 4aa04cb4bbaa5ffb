#include "result_values.h"

#include <utility>

#include "addon_data.h"
#include "errors.h"
#include "keyref/secret_value.h"
#include "work_pool.h"

namespace keyref::addon {

RefText::~RefText() { SecureZero(buf.data(), len); }

void ReadRef(Napi::Env env, Napi::Value v, const char* method, RefText* r) {
  if (!v.IsString()) {
    throw MakeArgError(env, false, "ERR_INVALID_ARG_TYPE",
                       std::string(method) + "(ref: string)");
  }
  napi_get_value_string_utf8(env, v, r->buf.data(), r->buf.size(), &r->len);
  r->truncated = r->len >= kMaxRefCopy;
}

void SetStr(napi_env env, napi_value obj, const char* key,
            std::string_view value) {
  napi_value v;
  if (napi_create_string_utf8(env, value.data(), value.size(), &v) == napi_ok) {
    napi_set_named_property(env, obj, key, v);
  }
}

void SetBool(napi_env env, napi_value obj, const char* key, bool value) {
  napi_value v;
  if (napi_get_boolean(env, value, &v) == napi_ok) {
    napi_set_named_property(env, obj, key, v);
  }
}

void SetNum(napi_env env, napi_value obj, const char* key, double value) {
  napi_value v;
  if (napi_create_double(env, value, &v) == napi_ok) {
    napi_set_named_property(env, obj, key, v);
  }
}

void SetStrings(napi_env env, napi_value obj, const char* key,
                const std::vector<std::string>& list) {
  napi_value arr;
  if (napi_create_array_with_length(env, list.size(), &arr) != napi_ok) return;
  for (std::size_t i = 0; i < list.size(); ++i) {
    napi_value s;
    if (napi_create_string_utf8(env, list[i].data(), list[i].size(), &s) !=
        napi_ok) {
      return;
    }
    napi_set_element(env, arr, static_cast<std::uint32_t>(i), s);
  }
  napi_set_named_property(env, obj, key, arr);
}

void SetErrorFields(napi_env env, napi_value obj, const Instance& inst,
                    const Error& e) {
  SetStr(env, obj, "code", ErrorCodeName(e.code));
  SetStr(env, obj, "message", inst.redactor().Redact(e.message));
  if (!e.hint.empty()) {
    SetStr(env, obj, "hint", inst.redactor().Redact(e.hint));
  }
}

Error InternalError() {
  return Error(ErrorCode::kInternal, "keyref failed internally.");
}

std::function<void(napi_env)> RejectInternal(std::shared_ptr<Instance> inst,
                                             napi_deferred d) {
  return [inst = std::move(inst), d](napi_env env) {
    SettleDeferred(env, d, false,
                   ErrorValue(env, InternalError(), &inst->redactor()));
  };
}

bool RejectIfClosed(napi_env env, const Instance& inst, napi_deferred d) {
  if (!inst.closed()) return false;
  SettleDeferred(env, d, false, ErrorValue(env, SidecarClosedError()));
  return true;
}

std::shared_ptr<ParsedRef> ParseOrReject(Napi::Env env,
                                         const std::shared_ptr<Instance>& inst,
                                         napi_deferred d, const RefText& ref) {
  if (RejectIfClosed(env, *inst, d)) return nullptr;
  Result<ParsedRef> parsed = ParseRef(ref.text(), inst->policy().allow);
  if (!parsed.ok()) {
    SettleDeferred(env, d, false,
                   ErrorValue(env, parsed.error(), &inst->redactor()));
    return nullptr;
  }
  return std::make_shared<ParsedRef>(std::move(parsed).value());
}

void SubmitStatus(Napi::Env env, std::shared_ptr<Instance> inst,
                  napi_deferred d, std::function<Status()> work) {
  GetPool(env).Submit(
      env,
      [inst, d, work = std::move(work)]() -> WorkPool::Done {
        Status st = work();
        return [inst, d, st = std::move(st)](napi_env env) {
          if (st) {
            SettleDeferred(env, d, true, nullptr);
          } else {
            SettleDeferred(env, d, false,
                           ErrorValue(env, st.error(), &inst->redactor()));
          }
        };
      },
      RejectInternal(inst, d));
}

}  // namespace keyref::addon
