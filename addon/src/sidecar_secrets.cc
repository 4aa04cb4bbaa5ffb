// Sidecar methods of secret resolution (issue 3): check, status,
// storeSecret, deleteSecret. Glue only: the rules are in keyref::Instance
// and the sources. Blocking work runs on the per-environment WorkPool; the
// JS thread only parses refs, answers cache hits and env: refs (both
// cheap), and settles promises. Nothing here hands a secret value to JS.
#include <array>
#include <memory>
#include <string>
#include <vector>

#include "addon_data.h"
#include "errors.h"
#include "host_store.h"
#include "keyref/secret_value.h"
#include "sidecar.h"
#include "work_pool.h"

namespace keyref::addon {
namespace {

constexpr std::size_t kMaxRefCopy = 4096;

// The ref as text, copied off the JS string into a stack buffer (no heap
// allocation on the cache-hit path). Inputs longer than 4 KiB are cut (they
// are refused as REF_TOO_LONG either way, like parseRef).
struct RefText {
  std::array<char, kMaxRefCopy + 1> buf;
  std::size_t len = 0;
  bool truncated = false;
  std::string_view text() const { return {buf.data(), len}; }
  // A refused ref may be a pasted key: wipe the copy.
  ~RefText() { SecureZero(buf.data(), len); }
};

void ReadRef(Napi::Env env, Napi::Value v, const char* method, RefText* r) {
  if (!v.IsString()) {
    throw MakeArgError(env, false, "ERR_INVALID_ARG_TYPE",
                       std::string(method) + "(ref: string)");
  }
  napi_get_value_string_utf8(env, v, r->buf.data(), r->buf.size(), &r->len);
  r->truncated = r->len >= kMaxRefCopy;
}

Napi::Object CheckOk(Napi::Env env, Scheme scheme) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("ok", true);
  o.Set("scheme", SchemeName(scheme));
  return o;
}

Napi::Object CheckFailed(Napi::Env env, const Instance& inst,
                         const Error& e) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("ok", false);
  o.Set("code", ErrorCodeName(e.code));
  o.Set("message", inst.redactor().Redact(e.message));
  if (!e.hint.empty()) o.Set("hint", inst.redactor().Redact(e.hint));
  return o;
}

// MakeError after the instance's redactor (a message never holds a value;
// this is the sink-side guarantee).
Napi::Error Rejection(Napi::Env env, const Instance& inst, Error e) {
  e.message = inst.redactor().Redact(e.message);
  e.hint = inst.redactor().Redact(e.hint);
  return MakeError(env, e);
}

Error ClosedError() {
  return Error(ErrorCode::kInternal, "This Sidecar is closed.",
               "Create a new Sidecar.");
}

WorkPool& Pool(Napi::Env env) { return *GetData(env)->pool; }

// Submits `work` (returns a Status-like outcome) and settles `deferred`.
void SubmitStatus(Napi::Env env, std::shared_ptr<Instance> inst,
                  Napi::Promise::Deferred deferred,
                  std::function<Status()> work) {
  auto d = std::make_shared<Napi::Promise::Deferred>(deferred);
  Pool(env).Submit(
      env,
      [inst, d, work = std::move(work)]() -> WorkPool::Done {
        Status st = work();
        return [inst, d, st = std::move(st)](Napi::Env env) {
          if (st) {
            d->Resolve(env.Undefined());
          } else {
            d->Reject(Rejection(env, *inst, st.error()).Value());
          }
        };
      },
      [inst, d](Napi::Env env) {
        d->Reject(MakeError(env, Error(ErrorCode::kInternal,
                                       "keyref failed internally."))
                      .Value());
      });
}

}  // namespace

std::shared_ptr<HostSecretStore> Sidecar::HostStoreFromJs(
    Napi::Env env, const Napi::Object& options) {
  AddonData* data = GetData(env);
  if (!data->pool) data->pool = std::make_unique<WorkPool>(env);
  Napi::Value store = options.Get("secretStorage");
  if (!store.IsObject()) return nullptr;
  return MakeJsHostStore(env, store.As<Napi::Object>());
}

// check(ref): Promise<{ok: true, scheme} | {ok: false, code, message, hint?}>
Napi::Value Sidecar::Check(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto deferred = Napi::Promise::Deferred::New(env);
  RefText ref;
  ReadRef(env, info[0], "check", &ref);
  std::shared_ptr<Instance> inst = instance_;
  if (inst->closed()) {
    deferred.Reject(MakeError(env, ClosedError()).Value());
    return deferred.Promise();
  }
  // Parse on the JS thread: cheap, and a refused ref (maybe a pasted key)
  // never leaves this stack frame.
  RefCheck c = CheckRef(ref.text(), inst->policy().allow, ref.truncated);
  if (!c.ok()) {
    deferred.Resolve(CheckFailed(env, *inst, DescribeRefError(c)));
    return deferred.Promise();
  }
  Scheme cached;
  if (inst->CheckCached(ref.text(), &cached)) {
    deferred.Resolve(CheckOk(env, cached));
    return deferred.Promise();
  }
  if (c.scheme == Scheme::kEnv) {
    // getenv must not race with process.env writes, which happen on this
    // thread; reading the environment does not block.
    Result<Scheme> r = inst->Check(ref.text());
    deferred.Resolve(r.ok() ? CheckOk(env, r.value())
                            : CheckFailed(env, *inst, r.error()));
    return deferred.Promise();
  }
  auto d = std::make_shared<Napi::Promise::Deferred>(deferred);
  Pool(env).Submit(
      env,
      [inst, d, text = std::string(ref.text())]() -> WorkPool::Done {
        Result<Scheme> r = inst->Check(text);
        return [inst, d, r = std::move(r)](Napi::Env env) {
          d->Resolve(r.ok() ? CheckOk(env, r.value())
                            : CheckFailed(env, *inst, r.error()));
        };
      },
      [inst, d](Napi::Env env) {
        d->Resolve(CheckFailed(env, *inst,
                               Error(ErrorCode::kInternal,
                                     "keyref failed internally.")));
      });
  return deferred.Promise();
}

// status(): Promise<Array<{scheme, enabled, available, reason?}>>
Napi::Value Sidecar::GetStatus(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto deferred = Napi::Promise::Deferred::New(env);
  auto d = std::make_shared<Napi::Promise::Deferred>(deferred);
  std::shared_ptr<Instance> inst = instance_;
  Pool(env).Submit(
      env,
      [inst, d]() -> WorkPool::Done {
        std::vector<SchemeStatus> all = inst->SchemeStatuses();
        return [inst, d, all = std::move(all)](Napi::Env env) {
          Napi::Array out = Napi::Array::New(env, all.size());
          for (std::size_t i = 0; i < all.size(); ++i) {
            Napi::Object o = Napi::Object::New(env);
            o.Set("scheme", SchemeName(all[i].scheme));
            o.Set("enabled", all[i].enabled);
            o.Set("available", all[i].available);
            if (!all[i].reason.empty()) {
              o.Set("reason", inst->redactor().Redact(all[i].reason));
            }
            out.Set(static_cast<std::uint32_t>(i), o);
          }
          d->Resolve(out);
        };
      },
      [d](Napi::Env env) {
        d->Reject(MakeError(env, Error(ErrorCode::kInternal,
                                       "keyref failed internally."))
                      .Value());
      });
  return deferred.Promise();
}

// storeSecret(ref, value): Promise<void>. Write-only: nothing reads back.
Napi::Value Sidecar::StoreSecret(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto deferred = Napi::Promise::Deferred::New(env);
  RefText ref;
  ReadRef(env, info[0], "storeSecret", &ref);
  if (info.Length() < 2 || !info[1].IsString()) {
    throw MakeArgError(env, false, "ERR_INVALID_ARG_TYPE",
                       "storeSecret(ref: string, value: string)");
  }
  std::shared_ptr<Instance> inst = instance_;
  if (inst->closed()) {
    deferred.Reject(MakeError(env, ClosedError()).Value());
    return deferred.Promise();
  }
  Result<ParsedRef> parsed =
      ParseRef(ref.text(), inst->policy().allow);
  if (!parsed.ok()) {
    deferred.Reject(Rejection(env, *inst, parsed.error()).Value());
    return deferred.Promise();
  }
  // HAZARD: the value. Copied from the JS string into a SecretValue through
  // a wiped buffer; the JS string itself is the caller's.
  std::size_t len = 0;
  napi_get_value_string_utf8(env, info[1], nullptr, 0, &len);
  std::vector<char> buf(len + 1);
  napi_get_value_string_utf8(env, info[1], buf.data(), buf.size(), &len);
  auto value = std::make_shared<keyref::SecretValue>(
      keyref::SecretValue::FromBytes(buf.data(), len));
  SecureZero(buf.data(), buf.size());
  auto pref = std::make_shared<ParsedRef>(std::move(parsed).value());
  SubmitStatus(env, inst, deferred, [inst, pref, value]() {
    Status st = inst->Store(*pref, *value);
    value->Wipe();
    return st;
  });
  return deferred.Promise();
}

// deleteSecret(ref): Promise<void>.
Napi::Value Sidecar::DeleteSecret(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto deferred = Napi::Promise::Deferred::New(env);
  RefText ref;
  ReadRef(env, info[0], "deleteSecret", &ref);
  std::shared_ptr<Instance> inst = instance_;
  if (inst->closed()) {
    deferred.Reject(MakeError(env, ClosedError()).Value());
    return deferred.Promise();
  }
  Result<ParsedRef> parsed =
      ParseRef(ref.text(), inst->policy().allow);
  if (!parsed.ok()) {
    deferred.Reject(Rejection(env, *inst, parsed.error()).Value());
    return deferred.Promise();
  }
  auto pref = std::make_shared<ParsedRef>(std::move(parsed).value());
  SubmitStatus(env, inst, deferred,
               [inst, pref]() { return inst->Delete(*pref); });
  return deferred.Promise();
}

}  // namespace keyref::addon
