#include "work_pool.h"

#include "errors.h"
#include "keyref/exit_gate.h"

namespace keyref::addon {

WorkPool::WorkPool(Napi::Env env) {
  tsfn_ = Tsfn::New(env, "keyref.work", 0, 1, this);
  // Ref'd only while work is pending (Submit / CallDone).
  napi_unref_threadsafe_function(env, tsfn_);
  // Registered after the TSFN, so it runs before the TSFN's own teardown
  // (cleanup hooks run in reverse order).
  env.AddCleanupHook([this] { Shutdown(); });
  // process.exit() runs no cleanup hook, and JS never runs again: work
  // waiting for the JS thread (the host store) is woken by the same abort
  // hooks, so that the exit handler does not wait out its limit for it
  // (exit_gate.h). Removed in Shutdown, before `this` goes.
  exit_stopper_ = exit_gate::AddStopper([this] { RunAbortHooks(); });
}

void WorkPool::RunAbortHooks() {
  std::vector<std::function<void()>> aborts;
  {
    std::lock_guard<std::mutex> lock(mu_);
    aborts = abort_hooks_;
  }
  for (auto& abort : aborts) abort();
}

WorkPool::~WorkPool() { Shutdown(); }

void WorkPool::Shutdown() {
  exit_gate::RemoveStopper(exit_stopper_);
  std::vector<std::thread> threads;
  std::vector<std::function<void()>> aborts;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (shut_) return;
    shut_ = stop_ = true;
    queue_.clear();
    threads.swap(threads_);
    aborts.swap(abort_hooks_);
    cv_.notify_all();
  }
  // Jobs blocked on the host store would otherwise wait out their timeout
  // here: the TSFN that would fail them is finalised only after this hook.
  for (auto& abort : aborts) abort();
  for (std::thread& t : threads) t.join();
  tsfn_.Release();
}

void WorkPool::AddAbortHook(std::function<void()> abort) {
  std::lock_guard<std::mutex> lock(mu_);
  if (shut_) {
    abort();
    return;
  }
  abort_hooks_.push_back(std::move(abort));
}

void WorkPool::Submit(Napi::Env env, Work work, Done on_throw) {
  if (pending_++ == 0) napi_ref_threadsafe_function(env, tsfn_);
  std::lock_guard<std::mutex> lock(mu_);
  queue_.emplace_back(std::move(work), std::move(on_throw));
  if (threads_.empty()) {
    // All threads at once, on first use: creating one later would cost the
    // JS thread a clone() in the middle of a burst.
    for (std::size_t i = 0; i < kMaxThreads; ++i) {
      threads_.emplace_back([this] { Run(); });
    }
  }
  cv_.notify_one();
}

void WorkPool::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
    if (stop_) return;
    auto [work, on_throw] = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    Done done;
    // The process's exit handler waits for the work (exit_gate.h): it may
    // be using OpenSSL (a fingerprint's HMAC), which exit tears down.
    {
      exit_gate::Busy busy;
      try {
        done = work();
      } catch (...) {
        // bad_alloc and the like: settle the promise instead of aborting
        // the extension host.
        done = std::move(on_throw);
      }
    }
    auto* c = new Completion{std::move(done)};
    if (tsfn_.NonBlockingCall(c) != napi_ok) delete c;
    lock.lock();
  }
}

bool WorkPool::CanRunJs(Napi::Env env) {
  // napi_set_named_property runs the "may call into JS" preamble: it fails
  // (without throwing) once the environment can no longer run JS.
  napi_value obj, undef;
  if (napi_create_object(env, &obj) != napi_ok) return false;
  if (napi_get_undefined(env, &undef) != napi_ok) return false;
  return napi_set_named_property(env, obj, "probe", undef) == napi_ok;
}

void WorkPool::CallDone(Napi::Env env, Napi::Function, WorkPool* pool,
                        Completion* c) {
  if (env != nullptr && CanRunJs(env) && c->done) {
    try {
      c->done(env);
    } catch (...) {
      // Done functions use the raw Node-API and do not throw; bad_alloc
      // must not take the host down.
    }
  }
  if (env != nullptr && --pool->pending_ == 0) {
    napi_unref_threadsafe_function(env, pool->tsfn_);
  }
  delete c;
}

napi_value NewPromise(napi_env env, napi_deferred* deferred) {
  napi_value promise = nullptr;
  if (napi_create_promise(env, deferred, &promise) != napi_ok) {
    throw MakeError(
        Napi::Env(env),
        Error(ErrorCode::kInternal, "keyref could not create a promise."));
  }
  return promise;
}

void SettleDeferred(napi_env env, napi_deferred deferred, bool resolve,
                    napi_value value) {
  if (!value) napi_get_undefined(env, &value);
  napi_status st = resolve ? napi_resolve_deferred(env, deferred, value)
                           : napi_reject_deferred(env, deferred, value);
  if (st != napi_ok) {
    bool pending = false;
    if (napi_is_exception_pending(env, &pending) == napi_ok && pending) {
      napi_value ignored;
      napi_get_and_clear_last_exception(env, &ignored);
    }
  }
}

}  // namespace keyref::addon
