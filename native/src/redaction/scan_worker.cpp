// The redactor's helper thread (scan_worker.h).
#include "redaction/scan_worker.h"

#include <unistd.h>

#include <new>
#include <system_error>
#include <thread>

#include "keyref/secret_value.h"

namespace keyref::redaction {
namespace {

// Not inlined, so that its frame lies where the job's frames lay when both
// are called from the same function: what the scan of the last runs kept
// (secret_runs.cpp: the ring of prefix hashes of ScanRangeFixed and
// ScanRangeAny for a run over 64 bytes, ScanRangeShort's sum[65] of prefix
// sums for a shorter one; from either the run's bytes follow with the
// process's hash keys), the padded last block, spilled registers. Nothing else
// runs on the helper thread to overwrite them, so they would stay for the
// process's life (docs/threat-model.md, "Timing"). 8 KiB reaches well past
// those frames (the ring is 1 KiB, sum[] 520 bytes).
__attribute__((noinline)) void WipeJobFrames() noexcept {
  char frames[8192];
  SecureZero(frames, sizeof frames);
}

struct Started {
  ScanWorker* worker = nullptr;
  pid_t pid = 0;  // the process that started it: a forked child has no thread
};

}  // namespace

ScanWorker* ScanWorker::Get() noexcept {
  static const Started started = []() noexcept {
    Started s;
    // Never deleted: the thread may still wait on its members at exit.
    auto* worker = new (std::nothrow) ScanWorker();
    if (!worker) return s;
    try {
      std::thread([worker] { worker->Loop(); }).detach();
    } catch (const std::system_error&) {
      delete worker;  // no thread: callers scan alone
      return s;
    }
    s.worker = worker;
    s.pid = getpid();
    return s;
  }();
  if (!started.worker || started.pid != getpid()) return nullptr;
  return started.worker;
}

bool ScanWorker::Post(Job job, void* arg) noexcept {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (busy_) return false;
    busy_ = true;
    job_ = job;
    arg_ = arg;
    state_ = State::kPosted;
  }
  posted_.notify_one();
  return true;
}

void ScanWorker::Join() noexcept {
  std::unique_lock<std::mutex> lock(mu_);
  if (state_ == State::kPosted) {
    // Not begun: the caller runs it (a loaded machine, or a worker that is
    // not scheduled). The worker will find nothing posted.
    state_ = State::kRunning;
    Job job = job_;
    void* arg = arg_;
    lock.unlock();
    job(arg);
    WipeJobFrames();
    lock.lock();
  } else {
    done_.wait(lock, [this] { return state_ == State::kDone; });
  }
  state_ = State::kIdle;
  job_ = nullptr;
  arg_ = nullptr;
  busy_ = false;
}

void ScanWorker::Loop() noexcept {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    posted_.wait(lock, [this] { return state_ == State::kPosted; });
    state_ = State::kRunning;
    Job job = job_;
    void* arg = arg_;
    lock.unlock();
    job(arg);
    WipeJobFrames();
    lock.lock();
    state_ = State::kDone;
    done_.notify_one();
  }
}

}  // namespace keyref::redaction
