// Worker threads of keyref's own, for blocking work (keyring, files, child
// processes, the host store wait). Not libuv's pool: a secret: resolution
// waits for the JS thread, and must not starve the pool the host's own
// fs/crypto work needs. One pool per environment (addon_data.h).
//
// The one background-work mechanism of the addon for anything that may block
// or resolve a secret: check, status, storeSecret, deleteSecret, the export
// with secrets and the test build's redaction probe all run here (requests
// run on the HttpClient's own threads, which stream). No Napi::AsyncWorker.
#pragma once

#include <napi.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace keyref::addon {

class WorkPool {
 public:
  // Runs on the JS thread after the work is done. Use the raw Node-API in
  // it (no node-addon-api calls that throw): the environment may be
  // terminating, and a Napi::Error made then aborts the process.
  using Done = std::function<void(napi_env)>;
  // Runs on a pool thread and returns what to do on the JS thread. Must not
  // touch JS values. What it captures must not hold a secret it does not
  // wipe itself.
  using Work = std::function<Done()>;

  // JS thread. Registers a cleanup hook that stops the threads before the
  // environment goes away.
  explicit WorkPool(Napi::Env env);
  ~WorkPool();
  WorkPool(const WorkPool&) = delete;
  WorkPool& operator=(const WorkPool&) = delete;

  // JS thread. Keeps the event loop alive until the Done (or, when `work`
  // throws, `on_throw`) has run on the JS thread.
  void Submit(Napi::Env env, Work work, Done on_throw);

  // False while the environment is terminating (worker.terminate(), exit):
  // JS can no longer run, and a node-addon-api call that needs it would
  // abort the process (Napi::Error cannot be made). Callbacks from other
  // threads check this before touching JS.
  static bool CanRunJs(Napi::Env env);

  // Registers `abort`, run on environment teardown before the threads are
  // joined: it must wake any work blocked on the JS thread (the host store
  // waits for promises that will never settle once JS has stopped). It may
  // run on the JS thread during teardown; it must not touch JS values.
  void AddAbortHook(std::function<void()> abort);

 private:
  struct Completion {
    Done done;
  };
  static void CallDone(Napi::Env env, Napi::Function, WorkPool* pool,
                       Completion* c);
  using Tsfn = Napi::TypedThreadSafeFunction<WorkPool, Completion, CallDone>;

  void Run();
  void Shutdown();  // cleanup hook: join threads, release the TSFN
  // The abort hooks, run at process exit (they stay registered).
  void RunAbortHooks();

  static constexpr std::size_t kMaxThreads = 4;
  Tsfn tsfn_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::pair<Work, Done>> queue_;
  std::vector<std::thread> threads_;
  std::vector<std::function<void()>> abort_hooks_;
  bool stop_ = false;
  bool shut_ = false;
  std::size_t pending_ = 0;  // JS thread only
  int exit_stopper_ = 0;     // exit_gate's id for RunAbortHooks
};

// A new promise and its deferred (JS thread). Throws a JS error when the
// environment refuses (only while it shuts down).
napi_value NewPromise(napi_env env, napi_deferred* deferred);

// Resolves or rejects `deferred` with `value` (undefined when null), with the
// raw Node-API: safe in a Done function while the environment terminates
// (a failure is swallowed, and any pending exception cleared).
void SettleDeferred(napi_env env, napi_deferred deferred, bool resolve,
                    napi_value value);

}  // namespace keyref::addon
