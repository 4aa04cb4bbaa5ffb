#include "keyref/key_scrubber.h"

#include <gtest/gtest.h>

#include <chrono>
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

// The no-oracle rule (docs/threat-model.md): a run counts when it holds 12
// or more characters outside the public prefix ("sk-") and the last 4.
constexpr std::size_t kPrefix = 3;
const std::size_t kMidEnd = kKey.size() - 4;

TEST(KeyScrubber, EveryRunOfTwelveMiddleCharactersIsRemoved) {
  for (std::size_t len = 12; len <= kMidEnd - kPrefix; len += 5) {
    for (std::size_t at = kPrefix; at + len <= kMidEnd; at += 3) {
      std::string text = "..##" + kKey.substr(at, len) + "##..";
      std::string out = Scrub(kKey, text);
      ASSERT_EQ(out, "..##[REDACTED]##..") << len << " " << at;
    }
  }
  // With the public prefix and the last 4 around it: one marker for all.
  EXPECT_EQ(Scrub(kKey, "<" + kKey.substr(0, kPrefix + 12) + ">"),
            "<[REDACTED]>");
  EXPECT_EQ(Scrub(kKey, "<" + kKey.substr(kMidEnd - 12) + ">"), "<[REDACTED]>");
}

TEST(KeyScrubber, ElevenMiddleCharactersPlusPublicPartsDoNotCount) {
  // What OpenAI echoes ("sk-abcDE*****wxyz") and anything up to 11 middle
  // characters, with the public prefix or the last 4: not a countable run,
  // so it stays, and so no probe of it can confirm a guess.
  for (std::size_t at = kPrefix; at + 11 <= kMidEnd; ++at) {
    std::string eleven = kKey.substr(at, 11);
    ASSERT_EQ(Scrub(kKey, "x" + eleven + "y"), "x" + eleven + "y") << at;
  }
  std::string head = kKey.substr(0, kPrefix + 11);
  EXPECT_EQ(Scrub(kKey, head + "!"), head + "!");
  std::string tail = kKey.substr(kMidEnd - 11);
  EXPECT_EQ(Scrub(kKey, "!" + tail), "!" + tail);
  std::string echo = "Incorrect API key provided: " + kKey.substr(0, 8) +
                     "*****" + kKey.substr(kKey.size() - 4) + ".";
  EXPECT_EQ(Scrub(kKey, echo), echo);
}

TEST(KeyScrubber, EscapedFormsOfEveryByte) {
  // An all-alphanumeric key written with every byte escaped: JSON \u,
  // percent in either case, and mixed with plain bytes.
  std::string u, pct_upper, pct_lower, mixed;
  for (std::size_t i = 0; i < kKey.size(); ++i) {
    char b[8];
    unsigned char c = static_cast<unsigned char>(kKey[i]);
    snprintf(b, sizeof b, "\\u%04x", c);
    u += b;
    snprintf(b, sizeof b, "%%%02X", c);
    pct_upper += b;
    mixed += i % 2 ? std::string(b) : std::string(1, kKey[i]);
    snprintf(b, sizeof b, "%%%02x", c);
    pct_lower += b;
  }
  for (const std::string& form : {u, pct_upper, pct_lower, mixed}) {
    EXPECT_EQ(Scrub(kKey, "{\"error\":\"bad key " + form + "\"}"),
              "{\"error\":\"bad key [REDACTED]\"}")
        << form;
  }
  // A run of twelve middle characters, \u-escaped, inside JSON.
  std::string run;
  for (char c : kKey.substr(10, 12)) {
    char b[8];
    snprintf(b, sizeof b, "\\u%04X", static_cast<unsigned char>(c));
    run += b;
  }
  EXPECT_EQ(Scrub(kKey, "\"" + run + "\""), "\"[REDACTED]\"");
}

TEST(KeyScrubber, ShortKeyExactOnly) {
  EXPECT_EQ(Scrub("abc12", "x abc12 abc1"), "x [REDACTED] abc1");
  // 4 to 7 bytes go through FindShortValue (constant time per position):
  // every occurrence, adjacent ones and at both ends, as find found them.
  EXPECT_EQ(Scrub("k3y4", "k3y4k3y4 k3yk3y4 xk3y"),
            "[REDACTED] k3y[REDACTED] xk3y");
  EXPECT_EQ(Scrub("s3cr3t7", "s3cr3t7"), "[REDACTED]");
  EXPECT_EQ(Scrub("ab", "xabx ab"), "x[REDACTED]x [REDACTED]");
  // A key whose middle is too short for a run: whole value only.
  const std::string pin = "pin-83kd1a9f";
  EXPECT_EQ(Scrub(pin, "x " + pin + " y"), "x [REDACTED] y");
  EXPECT_EQ(Scrub(pin, "x " + pin.substr(0, 11) + " y"),
            "x " + pin.substr(0, 11) + " y");
}

TEST(KeyScrubber, UntouchedTextReportsNoChange) {
  KeyScrubber s(SecretValue::FromBytes(kKey.data(), kKey.size()));
  std::string out = "unchanged";
  EXPECT_FALSE(s.Scrub("nothing to see here, just text", &out));
  EXPECT_EQ(out, "unchanged");
  KeyScrubber empty;
  EXPECT_FALSE(empty.Scrub(kKey, &out));
}

// ---- KeyScrubberCache (key_scrubber.h) -----------------------------------

SecretValue Value(const std::string& key) {
  return SecretValue::FromBytes(key.data(), key.size());
}

std::string KeyN(char c) {
  return std::string("sk-") + "cache-" + std::string(1, c) +
         "q8Wm3Rt6Yp1Lk4Hd7Fs2Ga9Jx5Cv0Nb";
}

// Whether `s` removes `key` whole and its 12-character middle run.
bool Removes(const KeyScrubber& s, const std::string& key) {
  std::string whole = "x " + key + " y";
  std::string run = "x " + key.substr(6, 12) + " y";
  s.ScrubInPlace(&whole);
  s.ScrubInPlace(&run);
  return whole == "x [REDACTED] y" && run == "x [REDACTED] y";
}

// A clock the test moves by hand: no sleeping, no timed assertion.
struct ManualClock {
  KeyScrubberCache::Clock::time_point t{};
  std::function<KeyScrubberCache::Clock::time_point()> Fn() {
    return [this] { return t; };
  }
};

TEST(KeyScrubberCache, SameValueIsAHitAndStillScrubs) {
  KeyScrubberCache cache;
  const std::string a = KeyN('a');
  KeyScrubber first = cache.For(Value(a));
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(cache.hits(), 0u);
  for (int i = 0; i < 3; ++i) {
    KeyScrubber again = cache.For(Value(a));
    EXPECT_TRUE(Removes(again, a)) << i;
  }
  EXPECT_EQ(cache.hits(), 3u);
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_TRUE(Removes(first, a));
}

// A changed value (the same ref, a key stored since) is a miss: its own
// scrubber, which removes it. Keys that differ in one byte, at either end,
// have entries of their own (the digest covers the whole key).
TEST(KeyScrubberCache, ChangedValueGetsItsOwnScrubber) {
  KeyScrubberCache cache(8);
  const std::string a = KeyN('a');
  const std::string other =
      std::string("sk-") + "other-" + "Hd7Fs2Ga9Jx5Cv0NbZq8Wm3Rt6Yp1Lk4";
  KeyScrubber sa = cache.For(Value(a));
  KeyScrubber so = cache.For(Value(other));
  EXPECT_EQ(cache.hits(), 0u);
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_TRUE(Removes(so, other));
  EXPECT_FALSE(Removes(sa, other));  // a's scrubber would have missed it
  EXPECT_TRUE(Removes(cache.For(Value(other)), other));
  EXPECT_TRUE(Removes(cache.For(Value(a)), a));
  EXPECT_EQ(cache.hits(), 2u);
  std::string last = a;
  last.back() = 'M';
  std::string first = a;
  first.front() = 'S';
  cache.For(Value(last));
  cache.For(Value(first));
  EXPECT_EQ(cache.hits(), 2u);
  EXPECT_EQ(cache.size(), 4u);
}

TEST(KeyScrubberCache, ShortKeysAreNeverCached) {
  KeyScrubberCache cache;
  for (const std::string k : {"abc12", "abcd123"}) {
    KeyScrubber s = cache.For(Value(k));
    std::string t = "x " + k + " y";
    s.ScrubInPlace(&t);
    EXPECT_EQ(t, "x [REDACTED] y");
    EXPECT_EQ(cache.size(), 0u);
  }
  cache.For(Value("abc12"));
  EXPECT_EQ(cache.hits(), 0u);
}

TEST(KeyScrubberCache, LongKeysAreNotCachedEither) {
  KeyScrubberCache cache;
  std::string big = "sk-";
  for (int i = 0; big.size() <= KeyScrubberCache::kMaxCachedKeyBytes; ++i) {
    big += static_cast<char>('A' + (i * 7) % 26);
    big += static_cast<char>('a' + (i * 11) % 26);
    big += static_cast<char>('0' + (i * 3) % 10);
  }
  KeyScrubber s = cache.For(Value(big));
  EXPECT_TRUE(Removes(s, big));
  EXPECT_EQ(cache.size(), 0u);
  const std::string at_bound =
      big.substr(0, KeyScrubberCache::kMaxCachedKeyBytes);
  cache.For(Value(at_bound));
  EXPECT_EQ(cache.size(), 1u);
}

TEST(KeyScrubberCache, BoundedLeastRecentlyUsedFirst) {
  KeyScrubberCache cache(2);
  cache.For(Value(KeyN('a')));
  cache.For(Value(KeyN('b')));
  cache.For(Value(KeyN('a')));  // a is now the most recent
  EXPECT_EQ(cache.hits(), 1u);
  cache.For(Value(KeyN('c')));  // drops b
  EXPECT_EQ(cache.size(), 2u);
  cache.For(Value(KeyN('a')));
  EXPECT_EQ(cache.hits(), 2u);
  KeyScrubber b = cache.For(Value(KeyN('b')));  // a miss: rebuilt
  EXPECT_EQ(cache.hits(), 2u);
  EXPECT_TRUE(Removes(b, KeyN('b')));
  EXPECT_EQ(cache.size(), 2u);
}

TEST(KeyScrubberCache, IdleEntriesExpireAndClearDropsAll) {
  ManualClock clock;
  KeyScrubberCache cache(4, std::chrono::seconds(60), clock.Fn());
  cache.For(Value(KeyN('a')));
  clock.t += std::chrono::seconds(30);
  cache.For(Value(KeyN('b')));
  clock.t += std::chrono::seconds(30);
  cache.For(Value(KeyN('a')));  // idle exactly 60 s: still kept
  EXPECT_EQ(cache.hits(), 1u);
  clock.t += std::chrono::seconds(31);
  // b was last used 61 s ago, a 31 s ago.
  cache.For(Value(KeyN('c')));
  EXPECT_EQ(cache.size(), 2u);  // a and c
  cache.For(Value(KeyN('b')));
  EXPECT_EQ(cache.hits(), 1u);  // b expired: a miss
  cache.For(Value(KeyN('a')));
  EXPECT_EQ(cache.hits(), 2u);
  cache.Clear();
  EXPECT_EQ(cache.size(), 0u);
  cache.For(Value(KeyN('a')));
  EXPECT_EQ(cache.hits(), 2u);  // a miss after Clear
}

// A miss builds its scrubber outside the lock. A Clear() in that window
// (the instance's Store replacing the key the request resolved) is not
// undone by the insert: the scrubber goes to its caller, not into the cache.
TEST(KeyScrubberCache, AClearWhileBuildingKeepsNothing) {
  KeyScrubberCache cache;
  int clears = 0;
  cache.SetBuiltHookForTesting([&] {
    if (clears++ == 0) cache.Clear();
  });
  const std::string a = KeyN('a');
  KeyScrubber s = cache.For(Value(a));
  EXPECT_EQ(clears, 1);
  EXPECT_TRUE(Removes(s, a));
  EXPECT_EQ(cache.size(), 0u);
  cache.For(Value(a));  // a miss, kept this time
  EXPECT_EQ(cache.hits(), 0u);
  EXPECT_EQ(cache.size(), 1u);
}

// Close() (HttpClient::Close) drops every entry and keeps none after, also
// from a request that was building its scrubber when it ran.
TEST(KeyScrubberCache, AfterCloseNothingIsKept) {
  KeyScrubberCache cache;
  cache.For(Value(KeyN('a')));
  int builds = 0;
  cache.SetBuiltHookForTesting([&] {
    if (builds++ == 0) cache.Close();
  });
  KeyScrubber b = cache.For(Value(KeyN('b')));
  EXPECT_TRUE(Removes(b, KeyN('b')));
  EXPECT_EQ(cache.size(), 0u);
  for (int i = 0; i < 2; ++i) {
    KeyScrubber a = cache.For(Value(KeyN('a')));
    EXPECT_TRUE(Removes(a, KeyN('a')));
  }
  EXPECT_EQ(builds, 3);
  EXPECT_EQ(cache.hits(), 0u);
  EXPECT_EQ(cache.size(), 0u);
}

}  // namespace
}  // namespace keyref
