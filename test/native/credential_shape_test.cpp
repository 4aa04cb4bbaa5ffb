// The credential-shape detector (native/src/credential_shape.cpp): spans in
// free text and the high-entropy rule. Every key here is synthetic.
#include "keyref/credential_shape.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "credential_shape_reference.h"
#include "shape_scan_paths.h"

namespace keyref {
namespace {

std::vector<CredentialMatch> Find(std::string_view text) {
  std::vector<CredentialMatch> out;
  FindCredentialShapes(text, &out);
  return out;
}

// The text of a match, for readable expectations.
std::string_view Span(std::string_view text, const CredentialMatch& m) {
  return text.substr(m.begin, m.end - m.begin);
}

constexpr std::string_view kSk = "sk-FAKEfakeFAKEfake0123456789EXAMPLEkey00";
constexpr std::string_view kGhp = "ghp_FAKE0123456789abcdefEXAMPLEnotakey00";
constexpr std::string_view kJwt =
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJmYWtlIn0.RkFLRS1zaWduYXR1cmU";

TEST(FindCredentialShapes, PlainProseHasNone) {
  EXPECT_TRUE(Find("").empty());
  EXPECT_TRUE(
      Find("The quick brown fox uses secret:sk-prod and env:SK_TEST.").empty());
  EXPECT_TRUE(Find("set apiKeyRef to secret:openai/prod, see docs").empty());
}

TEST(FindCredentialShapes, KeyInsideASentence) {
  std::string text = "my key is ";
  text += kSk;
  text += ", please keep it";
  auto m = Find(text);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].family, CredentialFamily::kSkKey);
  EXPECT_EQ(m[0].begin, 10u);
  EXPECT_EQ(Span(text, m[0]), kSk);
}

TEST(FindCredentialShapes, SeveralKeysLeftToRightWithoutOverlap) {
  std::string text = "a=";
  text += kSk;
  text += "&b=";
  text += kGhp;
  text += " c=AKIAIOSFODNN7EXAMPLE";
  auto m = Find(text);
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[0].family, CredentialFamily::kSkKey);
  EXPECT_EQ(Span(text, m[0]), kSk);
  EXPECT_EQ(m[1].family, CredentialFamily::kGitHub);
  EXPECT_EQ(Span(text, m[1]), kGhp);
  EXPECT_EQ(m[2].family, CredentialFamily::kAws);
  EXPECT_EQ(Span(text, m[2]), "AKIAIOSFODNN7EXAMPLE");
  for (std::size_t i = 1; i < m.size(); ++i) {
    EXPECT_LE(m[i - 1].end, m[i].begin);
  }
}

TEST(FindCredentialShapes, EveryPrefixFamily) {
  struct Case {
    const char* text;
    CredentialFamily family;
  };
  const Case cases[] = {
      {"sk-ant-api03-FAKE0123456789abcdefEXAMPLE-notakey_AA",
       CredentialFamily::kSkKey},
      {"sk-or-v1-0123456789abcdef0123456789abcdef", CredentialFamily::kSkKey},
      {"AIzaFAKE0123456789abcdefEXAMPLEnotakey0", CredentialFamily::kGoogle},
      {"ASIAFAKE0EXAMPLE0000", CredentialFamily::kAws},
      {"github_pat_FAKE0123456789_abcdefEXAMPLEnotakey00",
       CredentialFamily::kGitHub},
      {"gho_FAKE0123456789abcdefEXAMPLEnotakey00", CredentialFamily::kGitHub},
      {"gsk_FAKE0123456789abcdefEXAMPLE", CredentialFamily::kGroq},
      {"hf_FAKE0123456789abcdefEXAMPLEnotak", CredentialFamily::kHuggingFace},
      {"xai-FAKE0123456789abcdefEXAMPLE", CredentialFamily::kXai},
      {"pplx-FAKE0123456789abcdefEXAMPLE", CredentialFamily::kPerplexity},
      {"r8_FAKE0123456789abcdefEXAMPLE", CredentialFamily::kReplicate},
      {"xoxb-0000000000-FAKEexample", CredentialFamily::kSlack},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    std::string text = std::string("token: ") + c.text + "\n";
    auto m = Find(text);
    ASSERT_EQ(m.size(), 1u);
    EXPECT_EQ(m[0].family, c.family);
    EXPECT_EQ(Span(text, m[0]), c.text);
    EXPECT_EQ(FirstCredentialShape(text), c.family);
  }
}

TEST(FindCredentialShapes, ShortOrWordyPrefixBodiesAreNames) {
  // Below the minimum body length, or only lowercase words.
  for (std::string_view name :
       {"sk-prod", "hf_model", "ghp_backup", "xoxb-slack-bot",
        "sk-openai-production-primary", "xoxb-slackbot-prod",
        "AIza_google_maps_frontend_prod_key_name", "AKIA_ROLE",
        "gsk_groq_production_default"}) {
    EXPECT_TRUE(Find(name).empty()) << name;
  }
}

TEST(FindCredentialShapes, PrefixMustStartAWord) {
  // "task-..." is not an sk- key: the prefix follows a letter.
  std::string text = "task-FAKEfakeFAKE0123";
  for (const CredentialMatch& m : Find(text)) {
    EXPECT_NE(m.family, CredentialFamily::kSkKey);
  }
}

TEST(FindCredentialShapes, Jwt) {
  std::string text = "cookie=";
  text += kJwt;
  text += "; path=/";
  auto m = Find(text);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].family, CredentialFamily::kJwt);
  EXPECT_EQ(Span(text, m[0]), kJwt);
}

TEST(FindCredentialShapes, UnsignedJwt) {
  std::string_view jwt = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJmYWtlIn0.";
  auto m = Find(jwt);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].family, CredentialFamily::kJwt);
  EXPECT_EQ(Span(jwt, m[0]), jwt);
}

TEST(FindCredentialShapes, BearerCoversOnlyTheToken) {
  std::string text = "Authorization: Bearer  FAKE.token-EXAMPLE~1\r\n";
  auto m = Find(text);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].family, CredentialFamily::kBearer);
  EXPECT_EQ(Span(text, m[0]), "FAKE.token-EXAMPLE~1");
}

TEST(FindCredentialShapes, BearerNeedsAToken) {
  EXPECT_TRUE(Find("Bearer abc").empty());  // shorter than 8
  EXPECT_TRUE(Find("the bearer of news").empty());
}

TEST(FindCredentialShapes, PemPrivateKeyBlock) {
  std::string block =
      "-----BEGIN PRIVATE KEY-----\nMIIFAKEFAKEFAKE\n-----END PRIVATE KEY-----";
  std::string text = "key:\n" + block + "\ntrailer";
  auto m = Find(text);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].family, CredentialFamily::kPrivateKey);
  EXPECT_EQ(Span(text, m[0]), block);
}

TEST(FindCredentialShapes, CutOffPemRunsToTheEnd) {
  std::string text = "x -----BEGIN EC PRIVATE KEY-----\nMHcFAKE";
  auto m = Find(text);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].family, CredentialFamily::kPrivateKey);
  EXPECT_EQ(m[0].begin, 2u);
  EXPECT_EQ(m[0].end, text.size());
}

TEST(FindCredentialShapes, PublicKeyIsNotASecret) {
  EXPECT_TRUE(Find("-----BEGIN PUBLIC KEY-----").empty());
}

TEST(FindCredentialShapes, HighEntropyRunInText) {
  // base64url of "FAKE key for keyref tests 0123456789 only"
  std::string_view token =
      "RkFLRSBrZXkgZm9yIGtleXJlZiB0ZXN0cyAwMTIzNDU2Nzg5IG9ubHk";
  std::string text = "value \"" + std::string(token) + "\" end";
  auto m = Find(text);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].family, CredentialFamily::kHighEntropy);
  EXPECT_EQ(Span(text, m[0]), token);
}

TEST(FirstCredentialShape, ReturnsTheFirstFamily) {
  std::string text = std::string(kGhp) + " " + std::string(kSk);
  EXPECT_EQ(FirstCredentialShape(text), CredentialFamily::kGitHub);
  EXPECT_EQ(FirstCredentialShape("nothing here"), CredentialFamily::kNone);
}

TEST(CredentialFamilyName, NeverEmpty) {
  for (int f = 0; f <= static_cast<int>(CredentialFamily::kHighEntropy); ++f) {
    EXPECT_STRNE(CredentialFamilyName(static_cast<CredentialFamily>(f)), "");
  }
}

// ---- IsHighEntropyToken -------------------------------------------------

TEST(IsHighEntropyToken, ShorterThan32IsNever) {
  EXPECT_FALSE(IsHighEntropyToken("a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d"));  // 31
  EXPECT_TRUE(IsHighEntropyToken("a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6"));  // 32
}

TEST(IsHighEntropyToken, HexNeedsDigitLetterAndEntropy3) {
  EXPECT_TRUE(IsHighEntropyToken("fa4e0c1d9b8a7f6e5d4c3b2a1908f7e6d5c4b3a2"));
  EXPECT_TRUE(IsHighEntropyToken("0123456789abcdef0123456789abcdef"));
  // No letter, no digit, or low entropy.
  EXPECT_FALSE(IsHighEntropyToken("01234567890123456789012345678901"));
  EXPECT_FALSE(IsHighEntropyToken("deadbeefdeadbeefdeadbeefdeadbeef"));
  EXPECT_FALSE(IsHighEntropyToken("a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1"));
  EXPECT_FALSE(IsHighEntropyToken(std::string(40, 'f')));
}

TEST(IsHighEntropyToken, OtherRunsNeedDigitRunsTransitionsAndEntropy) {
  EXPECT_TRUE(IsHighEntropyToken("FAKEf4k3T0k3nN0tR34lK3y9x8w7v6u5t4s3"));
  EXPECT_TRUE(IsHighEntropyToken(
      "RkFLRSBrZXkgZm9yIGtleXJlZiB0ZXN0cyAwMTIzNDU2Nzg5IG9ubHk="));
  // Fewer than 3 digit runs: names with a date or a version.
  EXPECT_FALSE(IsHighEntropyToken("team-alpha/openai-production/key-2024"));
  EXPECT_FALSE(IsHighEntropyToken("AZURE_OPENAI_API_KEY_PRODUCTION_EASTUS2"));
  // Three digit runs but few class changes: words with numbers.
  EXPECT_FALSE(IsHighEntropyToken("openai-production-2024-primary-12-east-3"));
  // Many class changes but low entropy.
  EXPECT_FALSE(IsHighEntropyToken("a1B2a1B2a1B2a1B2a1B2a1B2a1B2a1B2"));
  EXPECT_FALSE(IsHighEntropyToken(std::string(64, 'A')));
}

TEST(IsHighEntropyToken, UuidIsNotFlagged) {
  // Dashes break the hex-only rule, and a UUID's entropy (about 3.4 bits per
  // byte) is below the general rule's 3.5; pinned so a threshold change
  // shows up here.
  EXPECT_FALSE(IsHighEntropyToken("550e8400-e29b-41d4-a716-446655440000"));
}

TEST(IsHighEntropyToken, RandomUuidsAreIdentifiersNotKeys) {
  // Random v4 UUIDs reach ~3.8 bits per byte; they are judged without the
  // UUID, so ids and names built from them are not refused.
  for (const char* uuid : {"3f9c2b7e-8d41-4a6f-b0e2-91c7d5a8f413",
                           "c2a7e9d4-1b5f-4e83-9a06-d7f3b81c2e95",
                           "9b1e4d7c-f02a-48e6-8c53-a6d9e2f71b04"}) {
    EXPECT_FALSE(IsHighEntropyToken(uuid)) << uuid;
    EXPECT_FALSE(IsHighEntropyToken(std::string("profile-") + uuid)) << uuid;
    EXPECT_TRUE(Find(std::string("secret:profiles/") + uuid).empty()) << uuid;
  }
}

TEST(IsHighEntropyToken, UuidExemptionKeepsTheRestOfTheRun) {
  // Without dashes it is 32 hex digits: as likely a key as an id.
  EXPECT_TRUE(IsHighEntropyToken("3f9c2b7e8d414a6fb0e291c7d5a8f413"));
  // A random token glued to a UUID is still judged, and caught.
  EXPECT_TRUE(
      IsHighEntropyToken("3f9c2b7e-8d41-4a6f-b0e2-91c7d5a8f413-"
                         "Xq7Rt2Lm9Vb4Nc8Wd1Zf6Hg3Jk5Pa0SeFAKE"));
}

// The fast scanner against the plain loop (credential_shape_reference.h).

std::vector<CredentialMatch> Fast(std::string_view t) {
  std::vector<CredentialMatch> m;
  FindCredentialShapes(t, &m);
  return m;
}

std::vector<CredentialMatch> Reference(std::string_view t) {
  std::vector<CredentialMatch> m;
  keyref_reference::FindCredentialShapes(t, &m);
  return m;
}

void ExpectSame(std::string_view t) {
  auto a = Fast(t);
  auto b = Reference(t);
  ASSERT_EQ(a.size(), b.size()) << t;
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].begin, b[i].begin) << t;
    EXPECT_EQ(a[i].end, b[i].end) << t;
    EXPECT_EQ(a[i].family, b[i].family) << t;
  }
  EXPECT_EQ(FirstCredentialShape(t), keyref_reference::FirstCredentialShape(t))
      << t;
}

TEST(CredentialShape, EachFamilyIsFound) {
  const std::pair<const char*, CredentialFamily> cases[] = {
      {"sk-ant-api03-abcdefghijklmnopqrstuvwxyz", CredentialFamily::kSkKey},
      {"AIzaSyA1234567890abcdefghijklmnopqrstu", CredentialFamily::kGoogle},
      {"AKIAABCDEFGHIJKLMNOP", CredentialFamily::kAws},
      {"ghp_abcdefghijklmnopqrstuvwxyz0123456789", CredentialFamily::kGitHub},
      {"gsk_abcdefghijklmnopqrstuvwxyz0123", CredentialFamily::kGroq},
      {"xai-abcdefghijklmnopqrstuvwxyz0123", CredentialFamily::kXai},
      {"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig", CredentialFamily::kJwt},
      {"Bearer abcdefgh12345678", CredentialFamily::kBearer},
      {"-----BEGIN RSA PRIVATE KEY-----\nabc\n-----END RSA PRIVATE KEY-----",
       CredentialFamily::kPrivateKey},
      {"Zk3Lq9Xv2Rt8Yp1Wm6Nb4Hc7Jd0Gf5Sa", CredentialFamily::kHighEntropy},
  };
  for (const auto& [text, family] : cases) {
    std::string t = std::string("x ") + text + " y";
    EXPECT_EQ(FirstCredentialShape(t), family) << text;
    ExpectSame(t);
  }
  EXPECT_EQ(FirstCredentialShape("secret:sk-prod keyring:svc/alice"),
            CredentialFamily::kNone);
}

class CredentialShapeScan : public testing_paths::OnEachPath {};
INSTANTIATE_TEST_SUITE_P(AllPaths, CredentialShapeScan,
                         testing_paths::AllPaths(), testing_paths::PathName);

TEST_P(CredentialShapeScan, MatchesThePlainLoopOnGeneratedText) {
  const std::vector<std::string> pieces = {"sk-",
                                           "sk-proj-",
                                           "AIza",
                                           "AKIA",
                                           "ASIA",
                                           "github_pat_",
                                           "ghp_",
                                           "gho_",
                                           "gsk_",
                                           "hf_",
                                           "xai-",
                                           "pplx-",
                                           "r8_",
                                           "xoxb-",
                                           "xoxp-",
                                           "eyJ",
                                           "eyJhbGci",
                                           "Bearer ",
                                           "bearer  ",
                                           "BEARER ",
                                           "-----BEGIN ",
                                           "PRIVATE KEY-----",
                                           "-----END PRIVATE KEY-----",
                                           " ",
                                           "  ",
                                           ".",
                                           ":",
                                           "\"",
                                           "-",
                                           "_",
                                           "/",
                                           "+",
                                           "=",
                                           "~",
                                           "\n",
                                           "\r\n",
                                           "\xC3\xA9",
                                           "\xFF",
                                           std::string(1, '\0'),
                                           "{",
                                           "the",
                                           "ext",
                                           "bash",
                                           "hello",
                                           "proj",
                                           "secret:",
                                           "env:"};
  const char abc[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::mt19937_64 rng(20261123);
  for (int iter = 0; iter < 20000; ++iter) {
    std::string t;
    std::size_t target = rng() % 700;
    while (t.size() < target) {
      if (rng() % 3 == 0) {
        std::size_t n = rng() % 70;
        bool hex = rng() % 4 == 0;
        for (std::size_t k = 0; k < n; ++k) {
          t.push_back(hex ? "0123456789abcdef"[rng() % 16] : abc[rng() % 62]);
        }
      } else {
        t += pieces[rng() % pieces.size()];
      }
    }
    ExpectSame(t);
    if (::testing::Test::HasFailure()) return;
  }
}

TEST_P(CredentialShapeScan, EveryAlignmentAgainstA64ByteBlock) {
  const std::string token = "sk-proj-abcdefghijklmnopqrstuvwxyz0123";
  for (std::size_t pad = 0; pad < 140; ++pad) {
    for (char fill : {' ', 'a', '-', '.'}) {
      std::string t(pad, fill);
      t += token;
      t += std::string(pad % 7, fill);
      ExpectSame(t);
    }
  }
}

// The scan skips a first byte at a word start when the byte after it starts
// no match with it (credential_shape.cpp, kPairs): every family's first two
// bytes must pass. One token per prefix and per special shape (every case of
// Bearer), at every offset across two block edges, after several fills.
TEST_P(CredentialShapeScan, EveryFamilyAtEveryOffset) {
  const std::pair<std::string, CredentialFamily> tokens[] = {
      {"sk-abcdefghijklmnopqrstuvwxyz0123", CredentialFamily::kSkKey},
      {"AIzaSyA1234567890abcdefghijklmnopqrstu", CredentialFamily::kGoogle},
      {"AKIAABCDEFGHIJKLMNOP", CredentialFamily::kAws},
      {"ASIAABCDEFGHIJKLMNOP", CredentialFamily::kAws},
      {"github_pat_11ABCDEFGHIJKLMNOPQRSTUVWXYZ0123",
       CredentialFamily::kGitHub},
      {"ghp_abcdefghijklmnopqrstuvwxyz0123456789", CredentialFamily::kGitHub},
      {"gho_abcdefghijklmnopqrstuvwxyz0123456789", CredentialFamily::kGitHub},
      {"ghu_abcdefghijklmnopqrstuvwxyz0123456789", CredentialFamily::kGitHub},
      {"ghs_abcdefghijklmnopqrstuvwxyz0123456789", CredentialFamily::kGitHub},
      {"ghr_abcdefghijklmnopqrstuvwxyz0123456789", CredentialFamily::kGitHub},
      {"gsk_abcdefghijklmnopqrstuvwxyz0123", CredentialFamily::kGroq},
      {"hf_abcdefghijklmnopqrstuvwxyz0123456789",
       CredentialFamily::kHuggingFace},
      {"xai-abcdefghijklmnopqrstuvwxyz0123", CredentialFamily::kXai},
      {"pplx-abcdefghijklmnopqrstuvwxyz0123", CredentialFamily::kPerplexity},
      {"r8_abcdefghijklmnopqrstuvwxyz0123", CredentialFamily::kReplicate},
      {"xoxa-1234567890-abcdef", CredentialFamily::kSlack},
      {"xoxb-1234567890-abcdef", CredentialFamily::kSlack},
      {"xoxp-1234567890-abcdef", CredentialFamily::kSlack},
      {"xoxo-1234567890-abcdef", CredentialFamily::kSlack},
      {"xoxs-1234567890-abcdef", CredentialFamily::kSlack},
      {"xoxr-1234567890-abcdef", CredentialFamily::kSlack},
      {"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig", CredentialFamily::kJwt},
      {"Bearer abcdefgh12345678", CredentialFamily::kBearer},
      {"bearer abcdefgh12345678", CredentialFamily::kBearer},
      {"BEARER abcdefgh12345678", CredentialFamily::kBearer},
      {"bEaRer abcdefgh12345678", CredentialFamily::kBearer},
      {"-----BEGIN EC PRIVATE KEY-----\nabc\n-----END EC PRIVATE KEY-----",
       CredentialFamily::kPrivateKey},
  };
  for (const auto& [token, family] : tokens) {
    for (const char* fill : {" ", "=", "\n", ".", "\"", "a."}) {
      for (std::size_t pad = 0; pad < 140; ++pad) {
        std::string t;
        while (t.size() < pad) t += fill;
        t.resize(pad);
        if (pad > 0 && t.back() == 'a') t.back() = ' ';
        t += token;
        t += " tail";
        const auto found = Fast(t);
        ASSERT_FALSE(found.empty()) << token << " at " << pad;
        EXPECT_EQ(found.front().family, family) << token << " at " << pad;
        ExpectSame(t);
        if (::testing::Test::HasFailure()) return;
      }
    }
  }
}

// A run that reaches the end of a full block is measured on the next
// block's masks, classified one block ahead (credential_shape.cpp), and not
// visited at all when it is short after all and starts no match. Runs of
// every length from 1 to 160 (through a whole next block) starting at every
// offset of the second half of the first block, and of the second (the
// edge at 128, where the masks' two slots have swapped), made of
// random-looking key characters (so that the long ones are high-entropy
// tokens) or starting like a prefix family, then a separator and more text,
// or nothing (the run ends the text): the same matches as the plain loop.
TEST_P(CredentialShapeScan, RunsAcrossTheBlockEdge) {
  const char abc[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::mt19937_64 rng(20261129);
  for (const char* head : {"", "e", "ex", "AKIA", "sk-", "-", "_x"}) {
    for (std::size_t at = 32; at < 128; at += at == 63 ? 33 : 1) {
      for (std::size_t len = 1; len <= 160; ++len) {
        for (bool tail : {true, false}) {
          std::string t(at, ' ');
          std::string run = head;
          while (run.size() < len) run.push_back(abc[rng() % 62]);
          run.resize(len);
          t += run;
          if (tail) {
            t += rng() % 2 ? "." : " ";
            t += "tail Zk3Lq9Xv2Rt8Yp1Wm6Nb4Hc7Jd0Gf5Sa end";
          }
          ExpectSame(t);
          if (::testing::Test::HasFailure()) return;
        }
      }
    }
  }
}

}  // namespace
}  // namespace keyref
