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

#include "keyref/secret_value.h"

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
    case HostCall::Op::kGet: return "get";
    case HostCall::Op::kStore: return "store";
    case HostCall::Op::kDelete: return "delete";
  }
  return "get";
}

Error HostFailed(HostCall::Op op, const char* how) {
  // The host's own error text is not passed on: it is the host's, and may
  // quote what it was handed.
  return Error(ErrorCode::kSourceUnavailable,
               std::string("The host secret store's ") + OpName(op) + "() " +
                   how + ".",
               "Check the extension's secretStorage (VS Code: "
               "context.secrets); its own logs say why.");
}

// Copies a JS string into a SecretValue through a buffer that is wiped.
keyref::SecretValue CopyString(Napi::Env env, napi_value v) {
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
  bool alive = true;  // false once the TSFN is finalised
  std::set<std::shared_ptr<HostCall>> in_flight;
};

struct JsSide {
  Napi::ObjectReference store;
  std::shared_ptr<Shared> shared;
};

void Settle(const std::shared_ptr<Shared>& shared,
            const std::shared_ptr<HostCall>& call) {
  std::lock_guard<std::mutex> lock(shared->mu);
  shared->in_flight.erase(call);
}

// Settles `call` from the value a get/store/delete produced (or its
// promise fulfilled with).
void OnValue(Napi::Env env, HostCall& call, Napi::Value v) {
  if (call.op != HostCall::Op::kGet) {
    call.FinishOk(true, {});
    return;
  }
  if (v.IsUndefined() || v.IsNull()) {
    call.FinishOk(false, {});
  } else if (v.IsString()) {
    call.FinishOk(true, CopyString(env, v));
  } else {
    call.Finish(Error(ErrorCode::kSecretMalformed,
                      "The host secret store's get() returned something "
                      "other than a string.",
                      "Store the key again as a string."));
  }
}

void CallHost(Napi::Env env, Napi::Function, JsSide* js,
              std::shared_ptr<HostCall>* data) {
  std::shared_ptr<HostCall> call = std::move(*data);
  delete data;
  if (env == nullptr) {
    call->Finish(HostFailed(call->op, "could not be called (shutting down)"));
    return;
  }
  Napi::HandleScope scope(env);
  try {
    Napi::Object store = js->store.Value();
    Napi::Value fn = store.Get(OpName(call->op));
    if (!fn.IsFunction()) {
      call->Finish(HostFailed(call->op, "is not a function"));
      return;
    }
    std::vector<napi_value> args{Napi::String::New(env, call->key)};
    if (call->op == HostCall::Op::kStore) {
      std::string_view v = call->value.Reveal();
      // HAZARD: this makes the one JS copy store() needs (see top).
      args.push_back(Napi::String::New(env, v.data(), v.size()));
    }
    Napi::Value result = fn.As<Napi::Function>().Call(store, args);
    Napi::Value then = result.IsObject()
                           ? result.As<Napi::Object>().Get("then")
                           : env.Undefined();
    if (!then.IsFunction()) {
      OnValue(env, *call, result);
      return;
    }
    // A thenable: settle when it does. The callbacks hold the call alive.
    auto on_ok = Napi::Function::New(
        env, [call](const Napi::CallbackInfo& info) {
          OnValue(info.Env(), *call,
                  info.Length() ? info[0] : info.Env().Undefined());
        });
    auto on_err = Napi::Function::New(
        env, [call](const Napi::CallbackInfo&) {
          call->Finish(HostFailed(call->op, "rejected"));
        });
    then.As<Napi::Function>().Call(result, {on_ok, on_err});
  } catch (const Napi::Error&) {
    // A throwing get()/store()/delete() (or a throwing `then` getter):
    // swallow the JS exception, report a clean error.
    call->Finish(HostFailed(call->op, "threw"));
  }
}

void FinaliseJsSide(Napi::Env, void*, JsSide* js) {
  std::shared_ptr<Shared> shared = js->shared;
  std::set<std::shared_ptr<HostCall>> waiting;
  {
    std::lock_guard<std::mutex> lock(shared->mu);
    shared->alive = false;
    waiting.swap(shared->in_flight);
  }
  for (const auto& call : waiting) {
    call->Finish(HostFailed(call->op, "was abandoned (shutting down)"));
  }
  js->store.Reset();
  delete js;
}

using Tsfn = Napi::TypedThreadSafeFunction<JsSide, std::shared_ptr<HostCall>,
                                           CallHost>;

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
                                                 Napi::Object store) {
  auto shared = std::make_shared<Shared>();
  auto* js = new JsSide{Napi::Persistent(store), shared};
  Tsfn tsfn = Tsfn::New(env, "keyref.secretStorage", 0, 1, js,
                        FinaliseJsSide, static_cast<void*>(nullptr));
  // Calls come only from pool work, which keeps the loop alive itself.
  tsfn.Unref(env);
  return std::make_shared<JsHostStore>(tsfn, std::move(shared));
}

}  // namespace keyref::addon
