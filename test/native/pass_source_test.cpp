// The pass: source against the real pass(1) and gpg, with a throwaway gpg
// key (no passphrase, %no-protection) made in a temp GNUPGHOME.
#include <gtest/gtest.h>

#include <chrono>

#include "keyref/source.h"
#include "test_util.h"

namespace keyref {
namespace {

using test::Sh;

ParsedRef Ref(const std::string& text) {
  auto r = ParseRef(text, SchemeSet::All());
  EXPECT_TRUE(r.ok()) << text;
  return r.value();
}

class PassSourceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    tmp_ = new test::TempDir();
    const std::string home = tmp_->path() + "/gnupg";
    const std::string store = tmp_->path() + "/store";
    Sh("mkdir -m 700 " + home);
    setenv("GNUPGHOME", home.c_str(), 1);
    setenv("PASSWORD_STORE_DIR", store.c_str(), 1);
    test::WriteFile(tmp_->path() + "/keyparams",
                    "%no-protection\nKey-Type: RSA\nKey-Length: 2048\n"
                    "Name-Real: keyref test\nName-Email: test@keyref.invalid\n"
                    "Expire-Date: 0\n%commit\n",
                    0600);
    ASSERT_EQ(Sh("gpg --batch --quiet --gen-key " + tmp_->path() +
                 "/keyparams 2>/dev/null"),
              0);
    ASSERT_EQ(Sh("pass init test@keyref.invalid >/dev/null"), 0);
    ASSERT_EQ(Sh("printf 'pass-value-1\\nuser: alice\\nurl: x\\n' | "
                 "pass insert -m -f api/openai >/dev/null"),
              0);
  }
  static void TearDownTestSuite() {
    Sh("gpgconf --kill gpg-agent");
    delete tmp_;
  }
  void SetUp() override {
    config_.timeout = std::chrono::milliseconds(10000);
    source_ = MakeSource(Scheme::kPass, config_);
  }

  static test::TempDir* tmp_;
  SourceConfig config_;
  std::unique_ptr<SecretSource> source_;
};
test::TempDir* PassSourceTest::tmp_ = nullptr;

TEST_F(PassSourceTest, FirstLineOnly) {
  auto r = source_->Resolve(Ref("pass:api/openai"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r.value().Reveal(), "pass-value-1");
  EXPECT_TRUE(source_->Probe().available);
}

TEST_F(PassSourceTest, MissingEntryIsNotFound) {
  auto r = source_->Resolve(Ref("pass:api/none"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kSecretNotFound);
}

TEST_F(PassSourceTest, NoSecretKeyIsLockedNotNotFound) {
  // Another GNUPGHOME without the key: gpg cannot decrypt.
  const std::string empty = tmp_->path() + "/empty-gnupg";
  Sh("mkdir -p -m 700 " + empty);
  std::string saved = std::getenv("GNUPGHOME");
  setenv("GNUPGHOME", empty.c_str(), 1);
  // A source runs pass with the environment it was made with
  // (process_env.h): made again after the change.
  source_ = MakeSource(Scheme::kPass, config_);
  auto r = source_->Resolve(Ref("pass:api/openai"));
  Sh("GNUPGHOME=" + empty + " gpgconf --kill gpg-agent");
  setenv("GNUPGHOME", saved.c_str(), 1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kSourceLocked) << r.error().message;
}

TEST_F(PassSourceTest, MissingPassIsUnavailable) {
  config_.pass_program = "keyref-no-such-pass-binary";
  source_ = MakeSource(Scheme::kPass, config_);
  auto r = source_->Resolve(Ref("pass:api/openai"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kSourceUnavailable);
  EXPECT_FALSE(source_->Probe().available);
}

TEST_F(PassSourceTest, SlowPassTimesOut) {
  // A stand-in that hangs like gpg waiting for a pinentry.
  const std::string slow = tmp_->path() + "/slow-pass";
  test::WriteFile(slow, "#!/bin/sh\nsleep 20\n", 0700);
  config_.pass_program = slow;
  config_.timeout = std::chrono::milliseconds(200);
  source_ = MakeSource(Scheme::kPass, config_);
  auto t0 = std::chrono::steady_clock::now();
  auto r = source_->Resolve(Ref("pass:api/openai"));
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::steady_clock::now() - t0)
                .count();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kSourceTimeout);
  EXPECT_LT(ms, 3000);
}

}  // namespace
}  // namespace keyref
