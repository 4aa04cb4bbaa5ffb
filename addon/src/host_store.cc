// HAZARD: threads. Worker threads block here waiting for the JS thread; the
// JS thread never waits for a worker, so there is no deadlock, and every
// wait is bounded by the resolve timeout. On environment teardown the
// TSFN's finaliser fails every waiter at once.
//
// HAZARD: secrets in JS. The value get() returns is a JS string: keyref
// copies it into a SecretValue and forgets the handle, but the string itself
// lives in the V8 heap until the host's store and the garbage collector drop
// it, which keyref cannot control (the same holds for the string store()
// receives, made from a SecretValue). The host store is JS by nature; what
// keyref controls is that the value never comes back out through its own
// API. docs/sources.md says so.
#include "host_store.h"

#include <condition_variable>
#include <mutex>
#include <set>
#include <vector>

#include "keyref/live_secret.h"
#include "keyref/secret_value.h"
#include "work_pool.h"

namespace keyref::addon {
namespace {

// One call, shared by the waiting worker and the JS callbacks.
struct HostCall {
  enum class Op { kGet, kStore, kDelete } op = Op::kGet;
  std::string key;
  keyref::SecretValue value;  // store: the value to write; get: the result

  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  bool found = false;
  Error error;
  bool failed = false;

  void Finish(Error e) {
    std::lock_guard<std::mutex> lock(mu);
    if (done) return;
    error = std::move(e);
    failed = true;
    done = true;
    cv.notify_all();
  }
  void FinishOk(bool was_found, keyref::SecretValue v) {
    std::lock_guard<std::mutex> lock(mu);
    if (done) return;
    found = was_found;
    value = std::move(v);
    done = true;
    cv.notify_all();
  }
};

const char* OpName(HostCall::Op op) {
  switch (op) {
    case HostCall::Op::kGet:
      return "get";
    case HostCall::Op::kStore:
      return "store";
    case HostCall::Op::kDelete:
      return "delete";
  }
  return "get";
}

Error HostFailed(HostCall::Op op, const char* how) {
  // The host's own error text is not passed on: it is the host's, and may
  // quote what it was handed.
  return Error(
      ErrorCode::kSourceUnavailable,
      std::string("The host secret store's ") + OpName(op) + "() " + how + ".",
      "Check the extension's secretStorage (VS Code: "
      "context.secrets); its own logs say why.");
}

// Copies a JS string into a SecretValue through a buffer that is wiped.
keyref::SecretValue CopyString(napi_env env, napi_value v) {
  std::size_t len = 0;
  napi_get_value_string_utf8(env, v, nullptr, 0, &len);
  std::vector<char> buf(len + 1);
  napi_get_value_string_utf8(env, v, buf.data(), buf.size(), &len);
  keyref::SecretValue out = keyref::SecretValue::FromBytes(buf.data(), len);
  SecureZero(buf.data(), buf.size());
  return out;
}

// Shared by the core-facing object and the TSFN finaliser.
struct Shared {
  std::mutex mu;
  // False once the environment is being torn down (the pool's abort hook)
  // or the TSFN is finalised: the TSFN may no longer be called.
  bool alive = true;
  std::set<std::shared_ptr<HostCall>> in_flight;
};

struct JsSide {
  napi_ref store = nullptr;  // strong reference to the JS store object
  std::shared_ptr<Shared> shared;
};

void Settle(const std::shared_ptr<Shared>& shared,
            const std::shared_ptr<HostCall>& call) {
  std::lock_guard<std::mutex> lock(shared->mu);
  shared->in_flight.erase(call);
}

// The rest of this file uses the raw Node-API, not node-addon-api: it runs
// from a thread-safe function (and from promise callbacks), where the
// environment may start terminating at any moment (worker.terminate()). A
// failing node-addon-api call builds a Napi::Error, which aborts the
// process once JS can no longer run; a failing raw call is just a status.

// Drops a pending JS exception (a throwing get(), a throwing getter).
void ClearPending(napi_env env) {
  bool pending = false;
  if (napi_is_exception_pending(env, &pending) == napi_ok && pending) {
    napi_value ignored;
    napi_get_and_clear_last_exception(env, &ignored);
  }
}

napi_valuetype TypeOf(napi_env env, napi_value v) {
  napi_valuetype t = napi_undefined;
  if (!v || napi_typeof(env, v, &t) != napi_ok) return napi_undefined;
  return t;
}

// Settles `call` from the value a get/store/delete produced (or its
// promise fulfilled with).
void OnValue(napi_env env, HostCall& call, napi_value v) {
  if (call.op != HostCall::Op::kGet) {
    call.FinishOk(true, {});
    return;
  }
  napi_valuetype t = TypeOf(env, v);
  if (t == napi_undefined || t == napi_null) {
    call.FinishOk(false, {});
  } else if (t == napi_string) {
    // The length is measured without a copy: a value over the cap is
    // refused here, never copied, cached or fingerprinted.
    std::size_t len = 0;
    napi_get_value_string_utf8(env, v, nullptr, 0, &len);
    if (Status st = CheckSecretSize(len); !st) {
      call.Finish(std::move(st).error());
    } else {
      call.FinishOk(true, CopyString(env, v));
    }
  } else {
    call.Finish(Error(ErrorCode::kSecretMalformed,
                      "The host secret store's get() returned something "
                      "other than a string.",
                      "Store the key again as a string."));
  }
}

using CallPtr = std::shared_ptr<HostCall>;

CallPtr* CallbackCall(napi_env env, napi_callback_info info, napi_value* arg) {
  std::size_t argc = 1;
  napi_value argv[1] = {nullptr};
  void* data = nullptr;
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, &data) != napi_ok) {
    return nullptr;
  }
  if (arg) *arg = argc ? argv[0] : nullptr;
  return static_cast<CallPtr*>(data);
}

napi_value OnFulfilled(napi_env env, napi_callback_info info) {
  napi_value v = nullptr;
  if (CallPtr* call = CallbackCall(env, info, &v)) OnValue(env, **call, v);
  return nullptr;
}

napi_value OnRejected(napi_env env, napi_callback_info info) {
  if (CallPtr* call = CallbackCall(env, info, nullptr)) {
    (*call)->Finish(HostFailed((*call)->op, "rejected"));
  }
  return nullptr;
}

void DeleteCallPtr(napi_env, void* data, void*) {
  delete static_cast<CallPtr*>(data);
}

// A function holding `call` alive until the function is collected.
napi_value MakeCallback(napi_env env, napi_callback cb, const CallPtr& call) {
  auto* data = new CallPtr(call);
  napi_value fn = nullptr;
  if (napi_create_function(env, nullptr, 0, cb, data, &fn) != napi_ok ||
      napi_add_finalizer(env, fn, data, DeleteCallPtr, nullptr, nullptr) !=
          napi_ok) {
    if (!fn) delete data;  // else the function owns it via the finaliser
    return nullptr;
  }
  return fn;
}

void CallHostIn(napi_env env, JsSide* js, const CallPtr& call) {
  const char* name = OpName(call->op);
  napi_value store = nullptr, fn = nullptr;
  if (napi_get_reference_value(env, js->store, &store) != napi_ok || !store) {
    call->Finish(HostFailed(call->op, "could not be called"));
    return;
  }
  if (napi_get_named_property(env, store, name, &fn) != napi_ok) {
    ClearPending(env);
    call->Finish(HostFailed(call->op, "threw"));
    return;
  }
  if (TypeOf(env, fn) != napi_function) {
    call->Finish(HostFailed(call->op, "is not a function"));
    return;
  }
  napi_value args[2] = {nullptr, nullptr};
  std::size_t argc = 1;
  bool made = napi_create_string_utf8(env, call->key.data(), call->key.size(),
                                      &args[0]) == napi_ok;
  if (made && call->op == HostCall::Op::kStore) {
    std::string_view v = call->value.Reveal();
    // HAZARD: this makes the one JS copy store() needs (see top).
    made =
        napi_create_string_utf8(env, v.data(), v.size(), &args[1]) == napi_ok;
    argc = 2;
  }
  napi_value result = nullptr;
  if (!made ||
      napi_call_function(env, store, fn, argc, args, &result) != napi_ok) {
    // A throwing get()/store()/delete(): swallow the JS exception, report a
    // clean error.
    ClearPending(env);
    call->Finish(HostFailed(call->op, "threw"));
    return;
  }
  napi_valuetype rt = TypeOf(env, result);
  napi_value then = nullptr;
  if (rt == napi_object || rt == napi_function) {
    if (napi_get_named_property(env, result, "then", &then) != napi_ok) {
      ClearPending(env);
      call->Finish(HostFailed(call->op, "threw"));
      return;
    }
  }
  if (TypeOf(env, then) != napi_function) {
    OnValue(env, *call, result);
    return;
  }
  // A thenable: settle when it does. The callbacks hold the call alive.
  napi_value cbs[2] = {MakeCallback(env, OnFulfilled, call),
                       MakeCallback(env, OnRejected, call)};
  napi_value ignored;
  if (!cbs[0] || !cbs[1] ||
      napi_call_function(env, result, then, 2, cbs, &ignored) != napi_ok) {
    ClearPending(env);
    call->Finish(HostFailed(call->op, "threw"));
  }
}

void CallHost(Napi::Env env, Napi::Function, JsSide* js, CallPtr* data) {
  CallPtr call = std::move(*data);
  delete data;
  if (env == nullptr || !WorkPool::CanRunJs(env)) {
    call->Finish(HostFailed(call->op, "could not be called (shutting down)"));
    return;
  }
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) {
    call->Finish(HostFailed(call->op, "could not be called"));
    return;
  }
  CallHostIn(env, js, call);
  napi_close_handle_scope(env, scope);
}

// Marks the store gone and fails every call still waiting for JS.
void AbortAll(const std::shared_ptr<Shared>& shared, const char* how) {
  std::set<std::shared_ptr<HostCall>> waiting;
  {
    std::lock_guard<std::mutex> lock(shared->mu);
    shared->alive = false;
    waiting.swap(shared->in_flight);
  }
  for (const auto& call : waiting) call->Finish(HostFailed(call->op, how));
}

void FinaliseJsSide(Napi::Env env, void*, JsSide* js) {
  AbortAll(js->shared, "was abandoned (shutting down)");
  if (js->store) napi_delete_reference(env, js->store);
  delete js;
}

using Tsfn =
    Napi::TypedThreadSafeFunction<JsSide, std::shared_ptr<HostCall>, CallHost>;

class JsHostStore final : public HostSecretStore {
 public:
  JsHostStore(Tsfn tsfn, std::shared_ptr<Shared> shared)
      : tsfn_(tsfn), shared_(std::move(shared)) {}

  ~JsHostStore() override {
    std::lock_guard<std::mutex> lock(shared_->mu);
    if (shared_->alive) tsfn_.Release();
  }

  Result<keyref::SecretValue> Get(const std::string& key,
                                  std::chrono::milliseconds timeout) override {
    auto call = std::make_shared<HostCall>();
    call->op = HostCall::Op::kGet;
    call->key = key;
    if (Status st = Run(call, timeout); !st) return std::move(st).error();
    if (!call->found) {
      return Error(ErrorCode::kSecretNotFound,
                   "The host secret store has no entry " + key + ".",
                   "Store it with sidecar.storeSecret('secret:" + key +
                       "', value), for example from a prompt or the "
                       "settings webview.");
    }
    return std::move(call->value);
  }

  Status Store(const std::string& key, const keyref::SecretValue& value,
               std::chrono::milliseconds timeout) override {
    auto call = std::make_shared<HostCall>();
    call->op = HostCall::Op::kStore;
    call->key = key;
    call->value = value.Clone();
    Status st = Run(call, timeout);
    call->value.Wipe();
    return st;
  }

  Status Delete(const std::string& key,
                std::chrono::milliseconds timeout) override {
    auto call = std::make_shared<HostCall>();
    call->op = HostCall::Op::kDelete;
    call->key = key;
    return Run(call, timeout);
  }

 private:
  Status Run(const std::shared_ptr<HostCall>& call,
             std::chrono::milliseconds timeout) {
    {
      std::lock_guard<std::mutex> lock(shared_->mu);
      if (!shared_->alive) {
        return HostFailed(call->op, "is gone (the environment shut down)");
      }
      shared_->in_flight.insert(call);
      // Under the lock, so the finaliser cannot run in between.
      auto* data = new std::shared_ptr<HostCall>(call);
      if (tsfn_.NonBlockingCall(data) != napi_ok) {
        delete data;
        shared_->in_flight.erase(call);
        return HostFailed(call->op, "could not be called");
      }
    }
    std::unique_lock<std::mutex> lock(call->mu);
    bool done = call->cv.wait_for(lock, timeout, [&] { return call->done; });
    if (!done) {
      call->done = true;  // a late answer is ignored (and wiped)
      lock.unlock();
      Settle(shared_, call);
      return Error(ErrorCode::kSourceTimeout,
                   std::string("The host secret store's ") + OpName(call->op) +
                       "() did not answer within the resolve timeout.",
                   "Check the extension's secretStorage, or raise "
                   "policy.resolveTimeoutMs.");
    }
    lock.unlock();
    Settle(shared_, call);
    if (call->failed) return call->error;
    return {};
  }

  Tsfn tsfn_;
  std::shared_ptr<Shared> shared_;
};

}  // namespace

std::shared_ptr<HostSecretStore> MakeJsHostStore(Napi::Env env,
                                                 Napi::Object store,
                                                 WorkPool& pool) {
  auto shared = std::make_shared<Shared>();
  pool.AddAbortHook([weak = std::weak_ptr<Shared>(shared)] {
    if (auto s = weak.lock()) AbortAll(s, "was abandoned (shutting down)");
  });
  auto* js = new JsSide{nullptr, shared};
  napi_create_reference(env, store, 1, &js->store);
  Tsfn tsfn = Tsfn::New(env, "keyref.secretStorage", 0, 1, js, FinaliseJsSide,
                        static_cast<void*>(nullptr));
  // Calls come only from pool work, which keeps the loop alive itself.
  tsfn.Unref(env);
  return std::make_shared<JsHostStore>(tsfn, std::move(shared));
}

}  // namespace keyref::addon
