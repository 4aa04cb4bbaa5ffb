// Live values of 4 to 7 bytes are matched exactly while they are live
// (redaction/short_values.cpp), by a search whose time does not depend on
// how much of the value a text matches. These tests pin that it finds what
// a plain search finds: every occurrence, overlapping ones too, at every
// offset, at the very end and in texts no longer than the value. How its
// time behaves is a figure, not an assertion: BM_ShortValuePrefix in
// bench/native/redactor_bench.cpp prints it per matched-prefix length.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "keyref/redactor.h"
#include "keyref/secret_value.h"
#include "redaction/internal.h"

namespace keyref::redaction {
namespace {

using Span = Redactor::Span;

// Every start of `value` in `text`, overlapping ones included: the
// definition.
std::vector<std::size_t> Naive(const std::string& text,
                               const std::string& value) {
  std::vector<std::size_t> at;
  for (std::size_t i = 0; i + value.size() <= text.size(); ++i) {
    if (text.compare(i, value.size(), value) == 0) at.push_back(i);
  }
  return at;
}

std::vector<std::size_t> Found(const std::string& text,
                               const std::string& value) {
  std::vector<Span> spans;
  FindShortValue(text, value, &spans);
  std::vector<std::size_t> at;
  for (const Span& s : spans) {
    EXPECT_EQ(s.end, s.begin + value.size());
    EXPECT_EQ(s.hold_from, s.begin);
    at.push_back(s.begin);
  }
  return at;
}

TEST(ShortValueTest, FindsEveryOccurrenceAtEveryOffset) {
  for (std::size_t len = 4; len <= 7; ++len) {
    const std::string value = std::string("k3Y!x9Q").substr(0, len);
    for (std::size_t n = 0; n <= 40; ++n) {
      for (std::size_t at = 0; at + len <= n; ++at) {
        std::string text(n, '.');
        text.replace(at, len, value);
        EXPECT_EQ(Found(text, value), Naive(text, value))
            << "len " << len << " n " << n << " at " << at;
      }
    }
  }
}

TEST(ShortValueTest, OverlappingAndRepeatedValues) {
  EXPECT_EQ(Found("aaaaaaa", "aaaa"), (std::vector<std::size_t>{0, 1, 2, 3}));
  EXPECT_EQ(Found("abababab", "abab"), (std::vector<std::size_t>{0, 2, 4}));
  EXPECT_EQ(Found("xyzxyzxyzxy", "xyzxyzx"), (std::vector<std::size_t>{0, 3}));
}

TEST(ShortValueTest, PartialMatchesAndNearMissesAreNotMatches) {
  // Every prefix, and the value with one byte changed at each place.
  const std::string value = "Zq7#p1";
  for (std::size_t k = 0; k < value.size(); ++k) {
    std::string prefix = value.substr(0, k);
    EXPECT_TRUE(Found(prefix + prefix + "|" + prefix, value).empty());
    std::string near = value;
    near[k] ^= 0x20;
    EXPECT_TRUE(Found("<" + near + ">", value).empty()) << k;
    near = value;
    near[k] = '\0';
    EXPECT_TRUE(Found(near, value).empty()) << k;
  }
  // Bytes with the high bit set and NULs compare as bytes.
  const std::string odd("\x80\x00\xff\x7f", 4);
  EXPECT_EQ(Found(std::string("\x00\x80\x00\xff\x7f\x80", 6), odd),
            (std::vector<std::size_t>{1}));
}

TEST(ShortValueTest, RandomTextsOverASmallAlphabet) {
  // Three letters: long partial matches everywhere.
  std::mt19937 rng(20261128);
  for (int round = 0; round < 3000; ++round) {
    const std::size_t len = 4 + rng() % 4;
    std::string value;
    for (std::size_t i = 0; i < len; ++i) value.push_back("abc"[rng() % 3]);
    std::string text;
    const std::size_t n = rng() % 200;
    for (std::size_t i = 0; i < n; ++i) text.push_back("abc"[rng() % 3]);
    ASSERT_EQ(Found(text, value), Naive(text, value)) << text << " / " << value;
  }
}

TEST(ShortValueTest, OtherLengthsFindNothing) {
  EXPECT_TRUE(Found("abc abc", "abc").empty());
  EXPECT_TRUE(Found("", "abcd").empty());
  EXPECT_TRUE(Found("abc", "abcd").empty());
}

TEST(ShortValueTest, TheRedactorMatchesShortValuesThisWay) {
  Redactor r;
  const std::string value = "Q7x!2";
  const std::uint64_t id =
      r.Register(SecretValue::FromBytes(value.data(), value.size()));
  EXPECT_EQ(r.Redact("a=" + value + value + " Q7x!"), "a=[REDACTED] Q7x!");
  EXPECT_EQ(r.Redact(value.substr(0, 4)), value.substr(0, 4));
  r.Forget(id);
  EXPECT_EQ(r.Redact("a=" + value), "a=" + value);
}

}  // namespace
}  // namespace keyref::redaction
