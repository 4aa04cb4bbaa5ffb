// Freed heap is where a wiped-on-destruction rule most often fails: a
// buffer that grows is copied and the old one handed back to malloc as it
// stands. This file replaces the global operator new/delete of the test
// binary (plain malloc/free, so AddressSanitizer's pairing still holds) and,
// while a test has armed it, searches every block freed through delete for
// a planted fragment of a secret (docs/threat-model.md, "Memory").
#include <gtest/gtest.h>
#include <malloc.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

#include "keyref/redactor.h"
#include "keyref/secret_value.h"

namespace {

std::atomic<bool> g_armed{false};
const char* g_needle = nullptr;
std::size_t g_needle_size = 0;
std::atomic<int> g_found{0};

void CheckFreed(void* p) noexcept {
  if (p == nullptr || !g_armed.load(std::memory_order_relaxed)) return;
  const std::size_t n = malloc_usable_size(p);
  if (n >= g_needle_size && memmem(p, n, g_needle, g_needle_size) != nullptr) {
    g_found.fetch_add(1, std::memory_order_relaxed);
  }
}

// Arms the search for one scope.
class FreedBlocksWatch {
 public:
  explicit FreedBlocksWatch(const std::string& needle) {
    g_needle = needle.data();
    g_needle_size = needle.size();
    g_found = 0;
    g_armed = true;
  }
  ~FreedBlocksWatch() { g_armed = false; }
  int found() const { return g_found.load(); }
};

}  // namespace

void* operator new(std::size_t n) {
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
  CheckFreed(p);
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  CheckFreed(p);
  std::free(p);
}

namespace keyref {
namespace {

TEST(FreedMemory, TheWatchSeesAnUnwipedFreedString) {
  // The positive control: a string freed as it stands is found.
  const std::string needle = "freed-control-" + std::to_string(getpid());
  FreedBlocksWatch watch(needle);
  { std::string copy(needle + std::string(64, '.')); }
  EXPECT_GE(watch.found(), 1);
}

TEST(FreedMemory, TheStreamScrubbersCarryIsWipedWhenItGrows) {
  const std::string secret =
      std::string("sk-") + "carry-" + "Pq4Ws8Ex2Rd6Tf1Yg5Uh9Ij3Ok7Lm0Nb";
  Redactor redactor;
  std::uint64_t id =
      redactor.Register(SecretValue::FromBytes(secret.data(), secret.size()));
  const std::string first = "data: " + secret.substr(0, 20);
  const std::string more(1000, 'x');
  const std::string needle = secret.substr(4, 16);
  std::string out;
  {
    StreamScrubber scrubber(redactor);
    out += scrubber.Write(first);  // the secret's start is held back
    {
      FreedBlocksWatch watch(needle);
      std::string emitted = scrubber.Write(more);  // the carry grows
      out += emitted;
      EXPECT_EQ(watch.found(), 0) << "a freed buffer held part of the secret";
    }
    out += scrubber.Finish();
  }
  EXPECT_EQ(out.find(needle), std::string::npos);
  redactor.Forget(id);
}

}  // namespace
}  // namespace keyref
