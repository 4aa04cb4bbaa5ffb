#include "keyref/secret_value.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace keyref {
namespace {

// The type's contract, checked at compile time: move-only, and nothing that
// turns it into a string by accident.
static_assert(!std::is_copy_constructible_v<SecretValue>);
static_assert(!std::is_copy_assignable_v<SecretValue>);
static_assert(std::is_nothrow_move_constructible_v<SecretValue>);
static_assert(!std::is_convertible_v<SecretValue, std::string>);
static_assert(!std::is_convertible_v<SecretValue, std::string_view>);

TEST(SecretValue, HoldsTheBytesItWasGiven) {
  SecretValue v = SecretValue::FromBytes("sk-value-1234", 13);
  EXPECT_EQ(v.size(), 13u);
  EXPECT_EQ(v.Reveal(), "sk-value-1234");
  // The pages are excluded from core dumps wherever madvise allows it.
  EXPECT_TRUE(v.dump_excluded());
}

// The kernel's view, not the flag the type keeps: /proc/self/smaps lists
// "dd" in the VmFlags of a mapping excluded from core dumps (proc(5)).
// Returns the flags of the mapping holding p, or "" when smaps is unreadable.
std::string VmFlagsOf(const void* p) {
  std::ifstream smaps("/proc/self/smaps");
  const auto addr = reinterpret_cast<std::uintptr_t>(p);
  std::string line;
  bool inside = false;
  while (std::getline(smaps, line)) {
    unsigned long lo = 0, hi = 0;
    if (std::sscanf(line.c_str(), "%lx-%lx ", &lo, &hi) == 2) {
      inside = addr >= lo && addr < hi;
    } else if (inside && line.rfind("VmFlags:", 0) == 0) {
      return line.substr(8) + " ";
    }
  }
  return "";
}

TEST(SecretValue, ThePagesAreMarkedDontDumpInTheKernel) {
  static const int kInThisBinary = 0;
  if (VmFlagsOf(&kInThisBinary).empty()) GTEST_SKIP() << "no /proc/self/smaps";
  {
    SecretValue fresh = SecretValue::FromBytes("sk-value-1234", 13);
    EXPECT_NE(VmFlagsOf(fresh.Reveal().data()).find(" dd "), std::string::npos)
        << VmFlagsOf(fresh.Reveal().data());
  }
  // A page handed out again by the pool keeps the mark.
  SecretValue reused = SecretValue::FromBytes("sk-value-5678", 13);
  EXPECT_NE(VmFlagsOf(reused.Reveal().data()).find(" dd "), std::string::npos);
  // A value grown past one page gets a fresh mapping, marked too.
  std::string big(3 * 4096, 'k');
  reused.Append(big.data(), big.size());
  EXPECT_NE(VmFlagsOf(reused.Reveal().data()).find(" dd "), std::string::npos);
}

TEST(SecretValue, MoveLeavesTheSourceEmpty) {
  SecretValue a = SecretValue::FromBytes("abcdefgh", 8);
  SecretValue b = std::move(a);
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): the contract
  EXPECT_EQ(a.Reveal().data(), nullptr);
  EXPECT_EQ(b.Reveal(), "abcdefgh");
  SecretValue c;
  c = std::move(b);
  EXPECT_EQ(c.Reveal(), "abcdefgh");
}

TEST(SecretValue, AppendGrowsAcrossPagesAndKeepsTheBytes) {
  const std::size_t page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  SecretValue v;
  std::string expected;
  for (int i = 0; i < 3000; ++i) {
    std::string chunk = std::to_string(i) + ",";
    v.Append(chunk.data(), chunk.size());
    expected += chunk;
  }
  EXPECT_GT(v.size(), page);
  EXPECT_EQ(v.Reveal(), expected);
}

TEST(SecretValue, TruncateZeroesTheDroppedTail) {
  SecretValue v = SecretValue::FromBytes("line-one\n", 9);
  const char* p = v.Reveal().data();
  v.Truncate(8);
  EXPECT_EQ(v.Reveal(), "line-one");
  EXPECT_EQ(p[8], '\0');
}

TEST(SecretValue, EqualsComparesContent) {
  SecretValue a = SecretValue::FromBytes("same-value", 10);
  SecretValue b = a.Clone();
  SecretValue c = SecretValue::FromBytes("same-valuE", 10);
  EXPECT_NE(a.Reveal().data(), b.Reveal().data());  // a real copy
  EXPECT_TRUE(a.Equals(b));
  EXPECT_FALSE(a.Equals(c));
}

TEST(SecretValue, AReusedPageIsZeroBeforeItIsHandedOut) {
  // Wiped single pages are pooled for the next secret; the pool must never
  // hand out a page that still holds the previous value.
  const std::size_t page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  std::string previous(200, 'K');
  const char* old_data = nullptr;
  {
    SecretValue a = SecretValue::FromBytes(previous.data(), previous.size());
    old_data = a.Reveal().data();
  }  // destroyed: wiped, its page pooled
  bool reused = false;
  for (int i = 0; i < 128 && !reused; ++i) {
    SecretValue b = SecretValue::FromBytes("x", 1);
    if (b.Reveal().data() != old_data) continue;
    reused = true;
    // Byte 0 is the new value; everything after it must be zero.
    for (std::size_t k = 1; k < page; ++k) {
      ASSERT_EQ(b.Reveal().data()[k], '\0') << "byte " << k;
    }
  }
  EXPECT_TRUE(reused) << "the pool did not reuse the freed page";
}

TEST(SecretValue, ATruncatedOrGrownValueLeavesItsPageZero) {
  // Wipe zeroes only the bytes ever written: after a Truncate, and after
  // growing out of a page, the pooled page must still come back all zero.
  const std::size_t page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  std::string previous(300, 'T');
  std::vector<const char*> freed;
  {
    SecretValue a = SecretValue::FromBytes(previous.data(), previous.size());
    a.Truncate(3);
    freed.push_back(a.Reveal().data());
  }
  {
    SecretValue b = SecretValue::FromBytes(previous.data(), 100);
    freed.push_back(b.Reveal().data());
    std::string more(page, 'G');
    b.Append(more.data(), more.size());  // moves to two pages, wipes the one
  }
  // b may have been given a's page back first: count distinct pages.
  std::sort(freed.begin(), freed.end());
  freed.erase(std::unique(freed.begin(), freed.end()), freed.end());
  const int want = static_cast<int>(freed.size());
  int reused = 0;
  std::vector<SecretValue> held;
  for (int i = 0; i < 128 && reused < want; ++i) {
    held.push_back(SecretValue::FromBytes("y", 1));
    const char* d = held.back().Reveal().data();
    if (std::find(freed.begin(), freed.end(), d) == freed.end()) continue;
    ++reused;
    for (std::size_t k = 1; k < page; ++k) {
      ASSERT_EQ(d[k], '\0') << "byte " << k;
    }
  }
  EXPECT_EQ(reused, want) << "the pool did not reuse the freed pages";
}

}  // namespace
}  // namespace keyref
