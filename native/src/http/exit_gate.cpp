#include "keyref/exit_gate.h"

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <map>
#include <mutex>

namespace keyref::exit_gate {
namespace {

// How long exit waits for worker tasks. Requests are cancelled first, so a
// task normally ends in milliseconds; the bound is for one stuck in a call
// nothing can interrupt.
constexpr std::chrono::milliseconds kExitWait{2000};

struct Gate {
  std::mutex mu;  // busy
  std::condition_variable idle;
  std::size_t busy = 0;
  // Held while stoppers run: RemoveStopper waits for a running one, so
  // that once it returns its stopper never runs again (its owner may be
  // destroyed next, on another thread).
  std::mutex stop_mu;
  int next_id = 0;
  std::map<int, std::function<void()>> stoppers;
  std::atomic<bool> exiting{false};
};

// Never destroyed: the exit handler and worker threads use it while static
// objects are torn down.
Gate& G() {
  static Gate* g = new Gate();
  return *g;
}

// Whether this thread is inside a Busy (exit() called from a worker task
// must not wait for itself).
thread_local int t_busy = 0;

void OnExit() {
  G().exiting = true;
  StopAndWait(kExitWait);
}

}  // namespace

void Arm() {
  static std::once_flag once;
  std::call_once(once, [] { std::atexit(OnExit); });
}

bool Exiting() noexcept { return G().exiting.load(); }

Busy::Busy() noexcept {
  Gate& g = G();
  std::lock_guard<std::mutex> lock(g.mu);
  ++g.busy;
  ++t_busy;
}

Busy::~Busy() {
  Gate& g = G();
  std::lock_guard<std::mutex> lock(g.mu);
  --g.busy;
  --t_busy;
  g.idle.notify_all();
}

int AddStopper(std::function<void()> stop) {
  Gate& g = G();
  std::lock_guard<std::mutex> lock(g.stop_mu);
  const int id = ++g.next_id;
  g.stoppers.emplace(id, std::move(stop));
  return id;
}

void RemoveStopper(int id) {
  Gate& g = G();
  std::lock_guard<std::mutex> lock(g.stop_mu);
  g.stoppers.erase(id);
}

bool StopAndWait(std::chrono::milliseconds limit) {
  Gate& g = G();
  {
    // Not under g.mu: a stopper cancels requests, whose tasks then leave
    // (and take g.mu to say so).
    std::lock_guard<std::mutex> lock(g.stop_mu);
    for (auto& [id, stop] : g.stoppers) stop();
  }
  std::unique_lock<std::mutex> lock(g.mu);
  const std::size_t own = static_cast<std::size_t>(t_busy);
  return g.idle.wait_for(lock, limit, [&] { return g.busy <= own; });
}

}  // namespace keyref::exit_gate
