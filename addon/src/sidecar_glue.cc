// Shared glue of the WorkPool-backed Sidecar methods (sidecar_glue.h).
#include "sidecar_glue.h"

#include "addon_data.h"
#include "errors.h"

namespace keyref::addon {

void ReadRef(Napi::Env env, Napi::Value v, const char* method, RefText* r) {
  if (!v.IsString()) {
    throw MakeArgError(env, false, "ERR_INVALID_ARG_TYPE",
                       std::string(method) + "(ref: string)");
  }
  napi_get_value_string_utf8(env, v, r->buf.data(), r->buf.size(), &r->len);
  r->truncated = r->len >= kMaxRefCopy;
}

// --- raw Node-API builders: nullptr when the environment refuses.

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

// An Error with .code and .hint, after the instance's redactor (a message
// never holds a value; this is the sink-side guarantee). The raw twin of
// MakeError (errors.cc).
napi_value ErrorValue(napi_env env, const Instance* inst, const Error& e) {
  std::string message = inst ? inst->redactor().Redact(e.message) : e.message;
  napi_value msg = nullptr, err = nullptr;
  if (napi_create_string_utf8(env, message.data(), message.size(), &msg) !=
          napi_ok ||
      napi_create_error(env, nullptr, msg, &err) != napi_ok) {
    return nullptr;
  }
  SetStr(env, err, "code", ErrorCodeName(e.code));
  if (!e.hint.empty()) {
    SetStr(env, err, "hint", inst ? inst->redactor().Redact(e.hint) : e.hint);
  }
  return err;
}

void Settle(napi_env env, napi_deferred d, bool resolve, napi_value v) {
  if (!v) napi_get_undefined(env, &v);
  napi_status st = resolve ? napi_resolve_deferred(env, d, v)
                           : napi_reject_deferred(env, d, v);
  if (st != napi_ok) {
    bool pending = false;
    if (napi_is_exception_pending(env, &pending) == napi_ok && pending) {
      napi_value ignored;
      napi_get_and_clear_last_exception(env, &ignored);
    }
  }
}

// A new promise and its deferred (JS thread).
napi_value NewPromise(napi_env env, napi_deferred* d) {
  napi_value promise = nullptr;
  if (napi_create_promise(env, d, &promise) != napi_ok) {
    throw Napi::Error::New(env, "could not create a promise");
  }
  return promise;
}

Error ClosedError() {
  return Error(ErrorCode::kInternal, "This Sidecar is closed.",
               "Create a new Sidecar.");
}

Error InternalError() {
  return Error(ErrorCode::kInternal, "keyref failed internally.");
}

WorkPool& Pool(Napi::Env env) { return *GetData(env)->pool; }

// Runs `work` on the pool and settles `d` with its Status (undefined or a
// rejection).
void SubmitStatus(Napi::Env env, std::shared_ptr<Instance> inst,
                  napi_deferred d, std::function<Status()> work) {
  Pool(env).Submit(
      env,
      [inst, d, work = std::move(work)]() -> WorkPool::Done {
        Status st = work();
        return [inst, d, st = std::move(st)](napi_env env) {
          if (st) {
            Settle(env, d, true, nullptr);
          } else {
            Settle(env, d, false, ErrorValue(env, inst.get(), st.error()));
          }
        };
      },
      [inst, d](napi_env env) {
        Settle(env, d, false, ErrorValue(env, inst.get(), InternalError()));
      });
}

std::shared_ptr<ParsedRef> ParseForWrite(Napi::Env env,
                                         const std::shared_ptr<Instance>& inst,
                                         napi_deferred d, const RefText& ref) {
  if (inst->closed()) {
    Settle(env, d, false, ErrorValue(env, nullptr, ClosedError()));
    return nullptr;
  }
  Result<ParsedRef> parsed = ParseRef(ref.text(), inst->policy().allow);
  if (!parsed.ok()) {
    Settle(env, d, false, ErrorValue(env, inst.get(), parsed.error()));
    return nullptr;
  }
  return std::make_shared<ParsedRef>(std::move(parsed).value());
}

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

}  // namespace keyref::addon
