#include "keyref/key_scrubber.h"

#include <gtest/gtest.h>

#include <string>

#include "keyref/redactor.h"

namespace keyref {
namespace {

const std::string kKey =
    std::string("sk-") + "abcDEF1234567890ghijKLMNopqrSTUVwxyz";

std::string Scrub(const std::string& key, const std::string& text) {
  KeyScrubber s(SecretValue::FromBytes(key.data(), key.size()));
  std::string out = text;
  s.ScrubInPlace(&out);
  return out;
}

TEST(KeyScrubber, ExactValue) {
  EXPECT_EQ(Scrub(kKey, "key=" + kKey + "."), "key=[REDACTED].");
  EXPECT_EQ(Scrub(kKey, kKey + kKey), "[REDACTED]");
}

TEST(KeyScrubber, RunsOfEightOrMore) {
  // OpenAI's echo: the start and the end of the key.
  std::string echo = "Incorrect API key provided: " + kKey.substr(0, 8) +
                     "*****" + kKey.substr(kKey.size() - 8) + ".";
  std::string out = Scrub(kKey, echo);
  EXPECT_EQ(out, "Incorrect API key provided: [REDACTED]*****[REDACTED].");
  // A run from the middle.
  EXPECT_EQ(Scrub(kKey, "<" + kKey.substr(10, 12) + ">"), "<[REDACTED]>");
}

TEST(KeyScrubber, SevenCharactersStay) {
  std::string seven = kKey.substr(5, 7);
  EXPECT_EQ(Scrub(kKey, "x" + seven + "y"), "x" + seven + "y");
}

TEST(KeyScrubber, NoEightRunSurvivesAnywhere) {
  // Every substring of length 8..len embedded in noise is removed.
  for (std::size_t len = 8; len <= kKey.size(); len += 5) {
    for (std::size_t at = 0; at + len <= kKey.size(); at += 3) {
      std::string text = "..##" + kKey.substr(at, len) + "##..";
      std::string out = Scrub(kKey, text);
      for (std::size_t i = 0; i + 8 <= kKey.size(); ++i) {
        ASSERT_EQ(out.find(kKey.substr(i, 8)), std::string::npos)
            << len << " " << at;
      }
    }
  }
}

TEST(KeyScrubber, OverlappingRunsAcrossJunk) {
  std::string text = kKey.substr(0, 9) + "!" + kKey.substr(3, 20);
  std::string out = Scrub(kKey, text);
  for (std::size_t i = 0; i + 8 <= kKey.size(); ++i) {
    EXPECT_EQ(out.find(kKey.substr(i, 8)), std::string::npos);
  }
}

TEST(KeyScrubber, ShortKeyExactOnly) {
  EXPECT_EQ(Scrub("abc12", "x abc12 abc1"), "x [REDACTED] abc1");
}

TEST(KeyScrubber, UntouchedTextReportsNoChange) {
  KeyScrubber s(SecretValue::FromBytes(kKey.data(), kKey.size()));
  std::string out = "unchanged";
  EXPECT_FALSE(s.Scrub("nothing to see here, just text", &out));
  EXPECT_EQ(out, "unchanged");
  KeyScrubber empty;
  EXPECT_FALSE(empty.Scrub(kKey, &out));
}

}  // namespace
}  // namespace keyref
