// The credential-shape scanner: issue 5 made it skip, 64 bytes at a time,
// the bytes that cannot start a match. Its results must stay exactly those
// of the plain per-byte loop (the ref parser and the redactor rely on them),
// so this test compares the two on many generated texts.
#include "keyref/credential_shape.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "credential_shape_reference.h"

namespace keyref {
namespace {

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
      {"gsk_abcdefghijklmnopqrstuvwxyz", CredentialFamily::kGroq},
      {"xai-abcdefghijklmnopqrstuvwxyz", CredentialFamily::kXai},
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

class CredentialShapeScan : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override { UseBaselineShapeScanForTesting(GetParam()); }
  void TearDown() override { UseBaselineShapeScanForTesting(false); }
};
INSTANTIATE_TEST_SUITE_P(BothPaths, CredentialShapeScan, ::testing::Bool(),
                         [](const auto& info) {
                           return info.param ? "Baseline" : "Best";
                         });

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

}  // namespace
}  // namespace keyref
