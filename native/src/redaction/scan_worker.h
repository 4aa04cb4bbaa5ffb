// One helper thread for the redactor's scan of a large text
// (one_pass.cpp, ScanOnceOnTwoThreads; docs/performance.md, "Redaction, 8 MB,
// sixth pass") and for writing half of its result (redactor.cpp,
// RenderIntoOnTwoThreads). Internal.
//
// Process-wide, like the fingerprint store: it is started at the first large
// text and never stopped (the thread waits for work until the process
// ends; the object is never destroyed, so nothing is torn down under it at
// exit). It serves one caller at a time: a caller that finds it busy scans
// alone, as does one in a forked child (the thread is not there) or where
// no thread could be started. A job it has not begun when its caller is
// done with its own share is taken back and run by the caller, so a caller
// never waits for a thread that is not running.
//
// What it touches (docs/threat-model.md, "Timing"): the caller's
// text, read in place while the caller waits for it, and the caller's
// output; it keeps no copy of the text once the job returns.
#pragma once

#include <condition_variable>
#include <mutex>

namespace keyref::redaction {

class ScanWorker {
 public:
  // The job: runs once, on the worker or on the caller, and must not throw.
  using Job = void (*)(void* arg) noexcept;

  // The worker, started on first use; nullptr when no thread can run here.
  static ScanWorker* Get() noexcept;

  // Hands job(arg) to the worker. False when another caller is using it
  // (then nothing was handed over). After true, the caller must call Join.
  bool Post(Job job, void* arg) noexcept;
  // Returns once the posted job has run: on the worker, or here if the
  // worker had not begun it. Frees the worker for the next caller.
  void Join() noexcept;

  ScanWorker(const ScanWorker&) = delete;
  ScanWorker& operator=(const ScanWorker&) = delete;

 private:
  ScanWorker() = default;
  ~ScanWorker() = default;  // never called: see above
  void Loop() noexcept;

  enum class State { kIdle, kPosted, kRunning, kDone };
  std::mutex mu_;
  std::condition_variable posted_;
  std::condition_variable done_;
  State state_ = State::kIdle;  // guarded by mu_
  bool busy_ = false;           // a caller holds the worker; guarded by mu_
  Job job_ = nullptr;           // guarded by mu_
  void* arg_ = nullptr;         // guarded by mu_
};

}  // namespace keyref::redaction
