// The exit handler's wait (exit_gate.h): stoppers are asked first, then
// running worker tasks are waited for, for a bounded time. The handler
// itself runs inside exit(); test/node/exit_inflight.test.js runs that.
#include "keyref/exit_gate.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace keyref {
namespace {

using std::chrono::milliseconds;

TEST(ExitGate, StoppersRunAndRunningTasksAreWaitedFor) {
  std::atomic<bool> stop{false};
  const int id = exit_gate::AddStopper([&] { stop = true; });
  std::atomic<bool> entered{false};
  std::thread task([&] {
    exit_gate::Busy busy;
    entered = true;
    // A request that runs until it is cancelled.
    while (!stop) std::this_thread::sleep_for(milliseconds(1));
  });
  while (!entered) std::this_thread::sleep_for(milliseconds(1));
  EXPECT_TRUE(exit_gate::StopAndWait(milliseconds(5000)));
  EXPECT_TRUE(stop);
  task.join();
  exit_gate::RemoveStopper(id);
}

TEST(ExitGate, ATaskThatDoesNotEndIsLeftAfterTheLimit) {
  std::atomic<bool> release{false};
  std::atomic<bool> entered{false};
  std::thread task([&] {
    exit_gate::Busy busy;
    entered = true;
    while (!release) std::this_thread::sleep_for(milliseconds(1));
  });
  while (!entered) std::this_thread::sleep_for(milliseconds(1));
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE(exit_gate::StopAndWait(milliseconds(50)));
  // Bounded: the wait gave up (not a timing assertion on keyref's speed;
  // a generous bound on the wait's own limit).
  EXPECT_LT(std::chrono::steady_clock::now() - t0, milliseconds(5000));
  release = true;
  task.join();
  EXPECT_TRUE(exit_gate::StopAndWait(milliseconds(50)));
}

TEST(ExitGate, ARemovedStopperIsNotRunAndOwnTaskIsNotWaitedFor) {
  std::atomic<int> calls{0};
  const int id = exit_gate::AddStopper([&] { ++calls; });
  exit_gate::RemoveStopper(id);
  // exit() called from inside a worker task does not wait for itself.
  exit_gate::Busy busy;
  EXPECT_TRUE(exit_gate::StopAndWait(milliseconds(5000)));
  EXPECT_EQ(calls, 0);
}

}  // namespace
}  // namespace keyref
