#include "keyref/redactor.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "every_window.h"
#include "keyref/credential_shape.h"
#include "keyref/live_secret.h"
#include "redaction/internal.h"
#include "redaction_test_util.h"

namespace keyref {
namespace {

using testing_util::FreshKey;
using testing_util::FreshSecret;

// Base64 of `in`: padded, or base64url without its padding (as keys are
// written in URLs and JSON web tokens).
std::string B64(std::string_view in, bool url) {
  std::string out = redaction::Base64(in, url);
  if (url) out.erase(out.find_last_not_of('=') + 1);
  return out;
}

SecretValue Sv(const std::string& s) {
  return SecretValue::FromBytes(s.data(), s.size());
}

class RedactorTest : public ::testing::Test {
 protected:
  // Registers `s` with the redactor for the whole test.
  void Live(const std::string& s) {
    live_.push_back(std::make_unique<LiveSecret>(Sv(s), r_));
  }
  // Scrubbing `stream` in two chunks, split at every point, gives `whole`.
  void ExpectEverySplitGives(const std::string& stream,
                             const std::string& whole) {
    for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
      StreamScrubber sc(r_);
      std::string got = sc.Write(stream.substr(0, cut));
      got += sc.Write(stream.substr(cut));
      got += sc.Finish();
      ASSERT_EQ(got, whole) << "cut at " << cut;
    }
  }
  Redactor r_;
  std::vector<std::unique_ptr<LiveSecret>> live_;
};

TEST_F(RedactorTest, NothingToRedactReturnsFalseAndLeavesOutAlone) {
  Live(FreshSecret());
  std::string out = "untouched";
  EXPECT_FALSE(r_.Scrub("{\"model\":\"gpt-4o\",\"messages\":[]}", &out));
  EXPECT_EQ(out, "untouched");
  EXPECT_FALSE(r_.Contains("plain text, nothing to see"));
  EXPECT_EQ(r_.Redact("plain"), "plain");
}

TEST_F(RedactorTest, LiveValueAndItsEncodings) {
  // Characters that every encoding changes: / + = " \ space and UTF-8.
  std::string s = FreshSecret(12) + "/+= \"\\\xC3\xA9" + FreshSecret(12);
  Live(s);
  std::string pct;
  for (unsigned char c : s) {
    if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      pct.push_back(c);
    } else {
      char b[4];
      snprintf(b, sizeof b, "%%%02X", c);
      pct += b;
    }
  }
  std::string json;
  for (char c : s) {
    if (c == '"' || c == '\\') json.push_back('\\');
    json.push_back(c);
  }
  const std::vector<std::pair<std::string, std::string>> forms = {
      {"raw", s},
      {"base64", B64(s, false)},
      {"base64url", B64(s, true)},
      {"percent", pct},
      {"json", json},
      {"basic auth", B64("user:" + s, false)},
      {"basic auth shifted", B64("ab:" + s, false)},
  };
  for (const auto& [name, form] : forms) {
    std::string text = "before " + form + " after";
    std::string out = r_.Redact(text);
    EXPECT_EQ(out.find(form), std::string::npos) << name;
    EXPECT_NE(out.find(kRedactedMarker), std::string::npos) << name;
    EXPECT_EQ(out.rfind("before ", 0), 0u) << name;
  }
}

TEST_F(RedactorTest, AnyRunOfTwelveMiddleCharactersButNotEleven) {
  // A mixed-case key: runs count from 12 characters outside the public
  // prefix and the last 4 (docs/threat-model.md, "No oracle").
  std::string s = "sk-proj-" + FreshKey(40);
  Live(s);
  const std::size_t mid_begin = 8, mid_end = s.size() - 4;
  for (std::size_t at = mid_begin; at + 12 <= mid_end; ++at) {
    std::string text = "x " + s.substr(at, 12) + " y";
    ASSERT_EQ(r_.Redact(text), "x [REDACTED] y") << at;
    std::string eleven = s.substr(at, 11);
    ASSERT_FALSE(r_.Contains("x " + eleven + " y")) << at;
  }
  // The public prefix and the last 4 add nothing to a run.
  EXPECT_FALSE(r_.Contains(s.substr(0, mid_begin + 11) + " "));
  EXPECT_FALSE(r_.Contains(" " + s.substr(mid_end - 11)));
  EXPECT_EQ(r_.Redact("<" + s.substr(0, mid_begin + 12) + ">"), "<[REDACTED]>");
  EXPECT_EQ(r_.Redact("<" + s.substr(mid_end - 12) + ">"), "<[REDACTED]>");
  // A hex key needs 16 characters (64 bits), digits 20.
  std::string hex = "0123456789abcdef0123456789abcdef0123";
  for (char& c : hex) c = "0123456789abcdef"[FreshKey(1)[0] % 16];
  Live(hex);
  EXPECT_FALSE(r_.Contains("x " + hex.substr(2, 15) + " y"));
  EXPECT_EQ(r_.Redact("x " + hex.substr(2, 16) + " y"), "x [REDACTED] y");
}

TEST_F(RedactorTest, RunIsExtendedToTheMaximalSpan) {
  std::string s = FreshSecret(40);
  Live(s);
  EXPECT_EQ(r_.Redact("<" + s.substr(3, 30) + ">"), "<[REDACTED]>");
}

TEST_F(RedactorTest, WipedValueIsStillCaughtByItsFingerprints) {
  std::string s = FreshSecret(32);
  { LiveSecret live(Sv(s), r_); }  // forgotten and wiped here
  EXPECT_EQ(r_.Redact("err: " + s), "err: [REDACTED]");
  // Also by another instance: the fingerprints are process-wide.
  Redactor other;
  EXPECT_EQ(other.Redact(B64(s, false)), "[REDACTED]");
  r_.ForgetAll();
  EXPECT_TRUE(r_.Contains(s.substr(10, 13)));
}

TEST_F(RedactorTest, ShortLiveValuesMatchExactlyWhileLive) {
  std::string s = FreshSecret(6);
  std::uint64_t id = r_.Register(Sv(s));
  EXPECT_EQ(r_.Redact("k=" + s + "!"), "k=[REDACTED]!");
  r_.Forget(id);
  EXPECT_EQ(r_.Redact("k " + s + "!"), "k " + s + "!");
}

TEST_F(RedactorTest, SameValueRegisteredTwiceStaysCaughtUntilBothAreGone) {
  // Every cached resolution registers the same value again; a value already
  // fingerprinted is recorded once. Forgetting one of two registrations must
  // leave it matched while the other is live, and both gone must leave the
  // fingerprints.
  std::string s = FreshSecret(28);
  std::uint64_t first = r_.Register(Sv(s));
  std::uint64_t second = r_.Register(Sv(s));
  EXPECT_NE(first, second);
  EXPECT_EQ(r_.Redact("a " + s + " b"), "a [REDACTED] b");
  r_.Forget(first);
  EXPECT_EQ(r_.Redact("a " + s + " b"), "a [REDACTED] b");
  EXPECT_EQ(r_.Redact(B64(s, true)), "[REDACTED]");
  r_.Forget(second);
  EXPECT_EQ(r_.Redact("a " + s + " b"), "a [REDACTED] b");
  // Boundaries outside FreshSecret's alphabet ([a-z0-9]): a letter could be
  // the secret's own neighbour and rightly join the redacted run.
  EXPECT_EQ(r_.Redact("<" + s.substr(9, 13) + ">"), "<[REDACTED]>");
  // Also when registered by another instance after it was known here.
  Redactor other;
  { LiveSecret again(Sv(s), other); }
  EXPECT_EQ(other.Redact(B64(s, false)), "[REDACTED]");
  // And a value never registered is still not matched: the shortcut is per
  // value, not "anything seen before".
  std::string fresh = FreshSecret(28);
  EXPECT_FALSE(r_.Contains("a " + fresh + " b"));
  LiveSecret live(Sv(fresh), r_);
  EXPECT_EQ(r_.Redact("a " + fresh + " b"), "a [REDACTED] b");
}

TEST_F(RedactorTest, ShortValueRegisteredTwiceIsMatchedUntilTheLastForget) {
  std::string s = FreshSecret(5);
  std::uint64_t first = r_.Register(Sv(s));
  std::uint64_t second = r_.Register(Sv(s));
  std::string other_short = FreshSecret(6);
  while (other_short.find(s) != std::string::npos) other_short[0] ^= 1;
  std::uint64_t third = r_.Register(Sv(other_short));
  EXPECT_EQ(r_.Redact("k=" + s + "!"), "k=[REDACTED]!");
  r_.Forget(second);
  EXPECT_EQ(r_.Redact("k=" + s + "!"), "k=[REDACTED]!");
  r_.Forget(second);  // forgetting an id twice changes nothing
  EXPECT_EQ(r_.Redact("k=" + s + "!"), "k=[REDACTED]!");
  r_.Forget(first);
  EXPECT_EQ(r_.Redact("k=" + s + "!"), "k=" + s + "!");
  // The other short value is still live, then gone with ForgetAll.
  EXPECT_EQ(r_.Redact("k=" + other_short + "!"), "k=[REDACTED]!");
  r_.ForgetAll();
  EXPECT_EQ(r_.Redact("k=" + other_short + "!"), "k=" + other_short + "!");
  r_.Forget(third);  // after ForgetAll: a no-op
  // Registered again after the last forget: matched again.
  std::uint64_t fourth = r_.Register(Sv(s));
  EXPECT_EQ(r_.Redact("k=" + s + "!"), "k=[REDACTED]!");
  r_.Forget(fourth);
}

TEST_F(RedactorTest, OverlappingSecretsLeaveNothingBehind) {
  std::string a = FreshSecret(20);
  std::string b = a.substr(10) + FreshSecret(15);  // b starts inside a
  std::string c = FreshSecret(20);
  Live(a);
  Live(b);
  Live(c);
  std::string text = "[" + a + b.substr(10) + "][" + b + c + "]";
  std::string out = r_.Redact(text);
  EXPECT_EQ(out, "[[REDACTED]][[REDACTED]]");
}

TEST_F(RedactorTest, CredentialShapes) {
  const std::vector<std::string> shapes = {
      "sk-proj-abcdefghijklmnopqrstuvwxyz012345",
      "AIzaSyA1234567890abcdefghijklmnopqrstu",
      "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
      "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abcdefghij",
      "xoxb-1234567890-abcdefghij",
      "Bearer abcdef0123456789",
  };
  for (const std::string& s : shapes) {
    std::string out = r_.Redact("got " + s + " here");
    EXPECT_NE(out.find(kRedactedMarker), std::string::npos) << s;
    EXPECT_EQ(out.find(s.substr(s.size() - 8)), std::string::npos) << s;
  }
  std::string pem =
      "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----";
  EXPECT_EQ(r_.Redact("k=" + pem + "\nok"), "k=[REDACTED]\nok");
  // Ordinary words and short names are left alone.
  EXPECT_FALSE(r_.Contains("secret:sk-prod keyring:svc/alice eyJ"));
}

TEST_F(RedactorTest, HeaderValuesInBlocksJsonAndText) {
  const char* names[] = {"Authorization",       "x-api-key",     "api-key",
                         "x-goog-api-key",      "Cookie",        "Set-Cookie",
                         "Proxy-Authorization", "AUTHORIZATION", "X-Api-Key",
                         "anthropic_api_key"};
  for (const char* name : names) {
    std::string n = name;
    EXPECT_EQ(
        r_.Redact("GET / HTTP/1.1\r\n" + n + ": abc def\r\nAccept: */*\r\n"),
        "GET / HTTP/1.1\r\n" + n + ": [REDACTED]\r\nAccept: */*\r\n")
        << n;
    EXPECT_EQ(r_.Redact("{\"" + n + "\": \"abc\\\"def\", \"a\": 1}"),
              "{\"" + n + "\": \"[REDACTED]\", \"a\": 1}")
        << n;
    EXPECT_EQ(r_.Redact("sent " + n + ": abc to the server"),
              "sent " + n + ": [REDACTED]")
        << n;
  }
  EXPECT_EQ(r_.Redact("https://h/x?api_key=abc123&b=2"),
            "https://h/x?api_key=[REDACTED]&b=2");
  EXPECT_FALSE(r_.Contains("Content-Type: application/json\r\n"));
  EXPECT_FALSE(r_.Contains("{\"max_tokens\": 100, \"keys\": 2}"));
}

TEST_F(RedactorTest, SplitAcrossChunksOfAStream) {
  std::string s = FreshSecret(28);
  Live(s);
  std::string stream = "data: {\"delta\":\"" + s + "\"}\n\n" +
                       "Authorization: Bearer tok" + "en-value-1234\r\n" +
                       std::string(300, 'x') + " " + s + " end";
  std::string whole = r_.Redact(stream);
  ASSERT_EQ(whole.find(s), std::string::npos);
  // Every split point, and byte-by-byte.
  ExpectEverySplitGives(stream, whole);
  StreamScrubber sc(r_);
  std::string got;
  for (char c : stream) got += sc.Write(std::string_view(&c, 1));
  got += sc.Finish();
  EXPECT_EQ(got, whole);
}

// A live value with blanks in it (a passphrase) spans several tokens, so
// holding back the last token is not enough: the first words would go out
// before the rest arrives. The fixed holdback keeps them until the value can
// be seen whole, at every split point.
TEST_F(RedactorTest, APassphraseSplitAcrossChunksIsHeldUntilItIsWhole) {
  const std::string s = "correct horse battery staple 7Qx";
  Live(s);
  const std::string stream = "login with " + s + " then go on\n";
  const std::string whole = r_.Redact(stream);
  ASSERT_EQ(whole.find("correct"), std::string::npos) << whole;
  ExpectEverySplitGives(stream, whole);
}

TEST_F(RedactorTest, StreamOfJsonWithoutBlanksAndALongToken) {
  // SSE data lines have few blanks; a 300-byte random token (entropy rule)
  // and a GitHub token must survive every split.
  std::string token;
  std::mt19937 rng(3);
  const char abc[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  for (int i = 0; i < 300; ++i) token.push_back(abc[rng() % 62]);
  std::string stream = "data:{\"a\":\"" + std::string(200, 'q') +
                       "\",\"t\":\"" + token + "\",\"g\":\"ghp_" +
                       std::string(36, 'Z') + "1a\"}\n\n";
  std::string whole = r_.Redact(stream);
  ASSERT_EQ(whole.find(token.substr(0, 40)), std::string::npos);
  for (std::size_t cut = 0; cut <= stream.size(); cut += 7) {
    StreamScrubber sc(r_);
    std::string got = sc.Write(stream.substr(0, cut));
    got += sc.Write(stream.substr(cut));
    got += sc.Finish();
    ASSERT_EQ(got, whole) << "cut at " << cut;
  }
}

TEST_F(RedactorTest, TextStreamHoldsBackOnlyWhatCouldStillMatch) {
  // Holdback 0 (chat deltas): prose flows a token behind; a key split into
  // 4-character pieces is never emitted in a countable run, not even before
  // its last piece arrives; credential names wait for their values.
  const std::string key = "sk-proj-" + FreshKey(40);
  Live(key);
  StreamScrubber prose(r_, 0);
  EXPECT_EQ(prose.Write("Hello world, this is"), "Hello world, this ");
  EXPECT_EQ(prose.Write(" fine"), "is ");
  EXPECT_EQ(prose.Finish(), "fine");

  const std::string text = "Your key is " + key +
                           " and password: hunter2 ok, "
                           "\"x-api-key\": \"abc123def456\" end";
  const std::string whole = r_.Redact(text);
  EXPECT_EQ(whole.find("hunter2"), std::string::npos);
  EXPECT_EQ(whole.find("abc123def456"), std::string::npos);
  for (std::size_t piece : {1, 3, 4, 7}) {
    StreamScrubber sc(r_, 0);
    std::string shown;
    for (std::size_t at = 0; at < text.size(); at += piece) {
      shown += sc.Write(text.substr(at, piece));
      for (std::size_t i = 8; i + 12 <= key.size() - 4; ++i) {
        ASSERT_EQ(shown.find(key.substr(i, 12)), std::string::npos)
            << piece << " " << at;
      }
    }
    shown += sc.Finish();
    EXPECT_EQ(shown, whole) << piece;
  }
}

TEST_F(RedactorTest, StreamCarryStaysBounded) {
  StreamScrubber sc(r_);
  std::string block(4096, 'a');  // one token, no blanks, no spans
  std::size_t emitted = 0;
  for (int i = 0; i < 64; ++i) emitted += sc.Write(block).size();
  emitted += sc.Finish().size();
  EXPECT_EQ(emitted, 64u * 4096u);
  // Everything but the carry came out before Finish.
}

TEST_F(RedactorTest, VeryLongLines) {
  std::string s = FreshSecret(24);
  Live(s);
  // Blanks around each secret: a run is widened over the key characters
  // next to it (docs/redaction.md), which would eat into the 'a's.
  std::string text(8 << 20, 'a');
  text.replace(4 << 20, s.size() + 2, " " + s + " ");
  text.replace(text.size() - s.size() - 1, s.size() + 1, " " + s);
  std::string out = r_.Redact(text);
  EXPECT_EQ(out.find(s.substr(0, 13)), std::string::npos);
  EXPECT_EQ(out.size(),
            text.size() - 2 * s.size() + 2 * kRedactedMarker.size());
  std::string header = "Cookie: " + std::string(1 << 20, 'c');
  EXPECT_EQ(r_.Redact(header), "Cookie: [REDACTED]");
}

TEST_F(RedactorTest, BinaryData) {
  std::string s = FreshSecret(24);
  Live(s);
  std::mt19937 rng(7);
  std::string bin;
  for (int i = 0; i < 1 << 16; ++i) bin.push_back(static_cast<char>(rng()));
  std::string all;
  for (int c = 0; c < 256; ++c) all.push_back(static_cast<char>(c));
  bin += all + s + std::string("\0\0", 2) + all;
  std::string out = r_.Redact(bin);
  EXPECT_EQ(out.find(s.substr(4, 8)), std::string::npos);
  EXPECT_NE(out.find(kRedactedMarker), std::string::npos);
}

bool ValidUtf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    unsigned char c = s[i];
    std::size_t n = c < 0x80         ? 1
                    : (c >> 5) == 6  ? 2
                    : (c >> 4) == 14 ? 3
                    : (c >> 3) == 30 ? 4
                                     : 0;
    if (!n || i + n > s.size()) return false;
    for (std::size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += n;
  }
  return true;
}

TEST_F(RedactorTest, Utf8StaysValidAndInvalidUtf8NeverCrashes) {
  // A secret whose 8-byte runs start and end inside multibyte characters.
  std::string s = "\xE2\x82\xAC" + FreshSecret(9) + "\xF0\x9F\x94\x91\xC3\xA9";
  Live(s);
  std::string text = "\xE6\x97\xA5\xE6\x9C\xAC " + s + " \xE2\x9C\x93";
  ASSERT_TRUE(ValidUtf8(text));
  for (std::size_t a = 0; a < s.size(); ++a) {
    for (std::size_t len = 8; a + len <= s.size(); ++len) {
      std::string t = "\xC3\xA9" + s.substr(a, len) + "\xC3\xA9";
      std::string out = r_.Redact(t);
      if (ValidUtf8(t)) EXPECT_TRUE(ValidUtf8(out)) << a << "+" << len;
    }
  }
  EXPECT_TRUE(ValidUtf8(r_.Redact(text)));
  std::string bad = "\xFF\xFE\xC3" + s + "\x80\x80\xE2\x82";
  std::string out = r_.Redact(bad);
  EXPECT_EQ(out.find(s.substr(3, 9)), std::string::npos);
}

TEST_F(RedactorTest, RegistrationFromWorkerThreadsWhileScrubbing) {
  std::vector<std::string> secrets;
  for (int i = 0; i < 16; ++i) secrets.push_back(FreshSecret(24));
  std::atomic<bool> stop{false};
  std::thread reader([&] {
    std::string t = "nothing " + std::string(1000, 'z');
    while (!stop) EXPECT_FALSE(r_.Contains(t));
  });
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w) {
    writers.emplace_back([&, w] {
      for (int i = w; i < 16; i += 4) LiveSecret live(Sv(secrets[i]), r_);
    });
  }
  for (auto& t : writers) t.join();
  stop = true;
  reader.join();
  for (const auto& s : secrets) EXPECT_EQ(r_.Redact(s), "[REDACTED]");
}

// The set of live values is not observable: no count, size or iteration.
template <typename T, typename = void>
struct HasSize : std::false_type {};
template <typename T>
struct HasSize<T, std::void_t<decltype(std::declval<T>().size())>>
    : std::true_type {};
template <typename T, typename = void>
struct HasCount : std::false_type {};
template <typename T>
struct HasCount<T, std::void_t<decltype(std::declval<T>().count())>>
    : std::true_type {};
// The extension attack (docs/threat-model.md, "No oracle"): start from the
// public prefix and extend one character at a time, asking whether a probe
// is redacted. Probes the whole known part and its last 7 and 11 characters
// (the windows an 8- or 12-character rule would answer on), each followed
// by every candidate. Returns what it recovered.
std::string ExtensionAttack(const Redactor& r, const std::string& prefix,
                            std::size_t budget) {
  static const char abc[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string known = prefix;
  std::size_t probes = 0;
  bool stuck = false;
  while (probes < budget && !stuck) {
    stuck = true;
    for (std::size_t tail : {std::size_t{0}, std::size_t{7}, std::size_t{11}}) {
      std::string base = tail && known.size() > tail
                             ? known.substr(known.size() - tail)
                             : known;
      int hits = 0;
      char hit = 0;
      for (const char* c = abc; *c && probes < budget; ++c, ++probes) {
        if (r.Contains("q " + base + *c + " q")) {
          ++hits;
          hit = *c;
        }
      }
      if (hits == 1) {  // exactly one candidate answered: learnt a character
        known.push_back(hit);
        stuck = false;
        break;
      }
    }
    // Nothing answered: spend the rest of the budget on two- and then
    // three-character extensions, as a patient attacker would.
    for (std::size_t width = 2; stuck && width <= 3 && probes < budget;
         ++width) {
      const std::size_t space = width == 2 ? 64 * 64 : 64 * 64 * 64;
      for (std::size_t i = 0; i < space && probes < budget; ++i, ++probes) {
        std::string guess = known;
        for (std::size_t k = 0, v = i; k < width; ++k, v /= 64) {
          guess.push_back(abc[v % 64]);
        }
        if (r.Contains("q " + guess + " q")) {
          known = guess;
          stuck = false;
          break;
        }
      }
    }
  }
  return known;
}

TEST(RedactorOracle, ExtensionAttackRecoversNothingWithA100kProbeBudget) {
  // A live key, a remembered (wiped) one, and one of each family prefix.
  Redactor r;
  const std::string live = "sk-proj-" + FreshKey(48);
  const std::string wiped = "sk-ant-api03-" + FreshKey(48);
  LiveSecret held(Sv(live), r);
  { LiveSecret gone(Sv(wiped), r); }
  std::size_t budget = 100000;
  EXPECT_EQ(ExtensionAttack(r, "sk-proj-", budget / 2), "sk-proj-");
  EXPECT_EQ(ExtensionAttack(r, "sk-ant-api03-", budget / 2), "sk-ant-api03-");
  // The positive control: the same attack does recover a run once it is
  // handed 11 characters of the middle (the rule's bound, not a weakness of
  // the attack), proving the attack would notice an oracle.
  const std::string start = live.substr(0, 8 + 11);
  EXPECT_EQ(ExtensionAttack(r, start, 2000).substr(0, 8 + 12),
            live.substr(0, 8 + 12));
}

TEST(RedactorOracle, ShortLowEntropySecretInUnshiftedBase64) {
  // Under 24 bytes, low entropy: its base64 is no credential shape, so only
  // the fingerprints of the unshifted forms catch it.
  Redactor r;
  const std::string pass = "correcthorse-battery" + FreshSecret(1);
  LiveSecret held(Sv(pass), r);
  for (bool url : {false, true}) {
    std::string form = B64(pass, url);
    ASSERT_EQ(FirstCredentialShape(form), CredentialFamily::kNone);
    EXPECT_EQ(r.Redact("auth " + form + " end"), "auth [REDACTED] end") << url;
  }
  // Too short for any run: the whole value only, in each form.
  const std::string pin = "hunt3r2hunt3r" + FreshSecret(1);
  LiveSecret pin_held(Sv(pin), r);
  for (bool url : {false, true}) {
    EXPECT_EQ(r.Redact("auth " + B64(pin, url) + " end"),
              "auth [REDACTED] end");
  }
  EXPECT_EQ(r.Redact("auth " + B64("u:" + pin, false) + " end"),
            "auth [REDACTED] end");
  EXPECT_FALSE(r.Contains("x " + pin.substr(0, pin.size() - 1) + " y"));
}

TEST(RedactorOracle, EveryByteEscaped) {
  Redactor r;
  const std::string key = "sk-proj-" + FreshKey(40);
  LiveSecret held(Sv(key), r);
  std::string u, pct, json_body;
  for (unsigned char c : key) {
    char b[8];
    snprintf(b, sizeof b, "\\u%04x", c);
    u += b;
    snprintf(b, sizeof b, "%%%02X", c);
    pct += b;
  }
  EXPECT_EQ(r.Redact("{\"error\":{\"message\":\"key " + u + "\"}}"),
            "{\"error\":{\"message\":\"key [REDACTED]\"}}");
  EXPECT_EQ(r.Redact("GET /v1?k=" + pct + "&x=1"), "GET /v1?k=[REDACTED]&x=1");
  // Percent-encoding inside a JSON escape: %73 written as \u00253\u0033.
  std::string nested;
  for (char ch : pct) {
    char b[8];
    snprintf(b, sizeof b, "\\u%04x", static_cast<unsigned char>(ch));
    nested += ch == '%' ? std::string(b) : std::string(1, ch);
  }
  EXPECT_EQ(r.Redact("\"" + nested + "\""), "\"[REDACTED]\"");
}

TEST(RedactorOracle, RememberedValuesHaveAMemoryBound) {
  // Values no longer live are evicted, oldest first, beyond the bound; live
  // ones never are (docs/redaction.md, "Memory bound").
  auto& store = redaction::FingerprintStore::Get();
  Redactor r;
  const std::string kept = FreshKey(4096);
  LiveSecret held(Sv(kept), r);
  std::vector<std::string> gone;
  for (int i = 0; i < 14; ++i) {
    gone.push_back(FreshKey(4096));
    LiveSecret once(Sv(gone.back()), r);
  }
  const std::size_t per_value = store.WindowCount() / 16 + 1;
  EXPECT_LE(store.WindowCount(),
            redaction::FingerprintStore::kMaxRememberedWindows + per_value);
  // (20 characters: a run, but too short for the long-random-token shape.)
  EXPECT_TRUE(r.Contains(kept.substr(100, 20)));           // live: kept
  EXPECT_TRUE(r.Contains(gone.back().substr(100, 20)));    // newest: kept
  EXPECT_FALSE(r.Contains(gone.front().substr(100, 20)));  // oldest: gone
}

template <typename T, typename = void>
struct HasBegin : std::false_type {};
template <typename T>
struct HasBegin<T, std::void_t<decltype(std::declval<T>().begin())>>
    : std::true_type {};

TEST(RedactorSurface, ExposesNothingAboutTheLiveSet) {
  static_assert(!HasSize<Redactor>::value);
  static_assert(!HasCount<Redactor>::value);
  static_assert(!HasBegin<Redactor>::value);
  static_assert(!std::is_copy_constructible_v<Redactor>);
  // Spans say where, never what: same spans for two different secrets.
  Redactor r;
  std::string a = FreshSecret(24), b = FreshSecret(24);
  LiveSecret la(Sv(a), r), lb(Sv(b), r);
  std::vector<Redactor::Span> sa, sb;
  r.FindSpans("x " + a, &sa);
  r.FindSpans("x " + b, &sb);
  ASSERT_EQ(sa.size(), 1u);
  ASSERT_EQ(sb.size(), 1u);
  EXPECT_EQ(sa[0].begin, sb[0].begin);
  EXPECT_EQ(sa[0].end, sb[0].end);
}

// RenderInto writes exactly what Render does, RenderedSize bytes of it, into
// memory the caller owns (the addon's large results): spans at the start,
// at the end, touching, whole text.
TEST(RedactorRender, IntoCallerMemoryMatchesRender) {
  const std::string text = "0123456789abcdefghijklmnopqrstuvwxyz";
  using Spans = std::vector<Redactor::Span>;
  for (const Spans& spans :
       {Spans{}, Spans{{0, 3, 0}}, Spans{{30, 36, 30}}, Spans{{0, 36, 0}},
        Spans{{2, 4, 2}, {4, 4, 4}, {10, 20, 10}, {35, 36, 35}}}) {
    std::string want;
    Redactor::Render(text, spans, &want);
    const std::size_t size = Redactor::RenderedSize(text, spans);
    ASSERT_EQ(size, want.size());
    std::string got(size + 8, '#');
    Redactor::RenderInto(text, spans, got.data());
    EXPECT_EQ(got.substr(0, size), want);
    EXPECT_EQ(got.substr(size), "########");  // nothing written past it
  }
}

}  // namespace
}  // namespace keyref
