#include "work_pool.h"

namespace keyref::addon {

WorkPool::WorkPool(Napi::Env env) {
  tsfn_ = Tsfn::New(env, "keyref.work", 0, 1, this);
  // Ref'd only while work is pending (Submit / CallDone).
  tsfn_.Unref(env);
  // Registered after the TSFN, so it runs before the TSFN's own teardown
  // (cleanup hooks run in reverse order).
  env.AddCleanupHook([this] { Shutdown(); });
}

WorkPool::~WorkPool() { Shutdown(); }

void WorkPool::Shutdown() {
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (shut_) return;
    shut_ = stop_ = true;
    queue_.clear();
    threads.swap(threads_);
    cv_.notify_all();
  }
  // A job blocked on the host store returns when that store's TSFN is torn
  // down (host_store.cc fails its waiters) or at its timeout.
  for (std::thread& t : threads) t.join();
  tsfn_.Release();
}

void WorkPool::Submit(Napi::Env env, Work work, Done on_throw) {
  if (pending_++ == 0) tsfn_.Ref(env);
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
    try {
      done = work();
    } catch (...) {
      // bad_alloc and the like: settle the promise instead of aborting the
      // extension host.
      done = std::move(on_throw);
    }
    auto* c = new Completion{std::move(done)};
    if (tsfn_.NonBlockingCall(c) != napi_ok) delete c;
    lock.lock();
  }
}

void WorkPool::CallDone(Napi::Env env, Napi::Function, WorkPool* pool,
                        Completion* c) {
  if (env != nullptr) {
    if (c->done) {
      try {
        c->done(env);
      } catch (const Napi::Error& e) {
        // A JS exception while settling: leave it to Node.
        e.ThrowAsJavaScriptException();
      }
    }
    if (--pool->pending_ == 0) pool->tsfn_.Unref(env);
  }
  delete c;
}

}  // namespace keyref::addon
