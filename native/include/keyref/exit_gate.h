// What happens when the process exits (exit(), Node's process.exit() on an
// extension host reload) while keyref's worker threads are busy.
//
// exit() runs the handlers registered with atexit and the destructors of
// static objects on the exiting thread while other threads go on. OpenSSL's
// exit handler frees its locks and providers: a worker still resolving or
// sending then crashed in RAND_bytes or failed in HMAC (a review's runs of
// process.exit() with requests in flight: 1 run in 10; 2 of its core dumps
// held 28 bytes of the key, in the crashing thread's registers). So keyref
// arms a handler of its own, registered after OpenSSL initialised (handlers
// run in reverse order, so it runs first): it asks every HTTP client to
// stop (its requests are cancelled, their sockets shut down) and waits, for
// a bounded time, until no worker task is running. A task that does not end
// in time (a DNS lookup cannot be cancelled) is left; the exit goes on.
#pragma once

#include <chrono>
#include <functional>

namespace keyref::exit_gate {

// Registers the exit handler, once per process. Call on the thread that
// makes keyref's objects, after OpenSSL is initialised (the HTTP client's
// constructor does).
void Arm();

// Whether the process is exiting (the handler has begun).
bool Exiting() noexcept;

// While one lives on a thread, a worker task runs there: the exit handler
// waits for it.
class Busy {
 public:
  Busy() noexcept;
  ~Busy();
  Busy(const Busy&) = delete;
  Busy& operator=(const Busy&) = delete;
};

// Runs `stop` when the process exits, before the wait; until the returned
// id is passed to RemoveStopper, which waits for a `stop` that is running.
// `stop` must not block, nor add or remove stoppers.
int AddStopper(std::function<void()> stop);
void RemoveStopper(int id);

// The handler's wait, for tests: asks the stoppers and waits up to `limit`
// for running tasks; true when none is left. Does not end the process.
bool StopAndWait(std::chrono::milliseconds limit);

}  // namespace keyref::exit_gate
