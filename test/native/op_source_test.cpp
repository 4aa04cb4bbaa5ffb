// The op:// source. The 1Password CLI is not installable here (no network
// account, no package), so these tests run a STAND-IN executable script
// that speaks `op read --no-newline REF` the way op does: value on stdout,
// `[ERROR] …` on stderr and exit 1 on failures. The spawning, argv,
// timeout, output capture and classification are keyref's real code.
#include <gtest/gtest.h>

#include <chrono>

#include "keyref/source.h"
#include "test_util.h"

namespace keyref {
namespace {

ParsedRef Ref(const std::string& text) {
  auto r = ParseRef(text, SchemeSet::All());
  EXPECT_TRUE(r.ok()) << text;
  return r.value();
}

class OpSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    args_ = tmp_.path() + "/args";
    const std::string script = tmp_.path() + "/op";
    test::WriteFile(script,
                    R"(#!/bin/sh
# Stand-in for the 1Password CLI (op is not installable in this sandbox).
printf '%s\n' "$@" > ")" +
                        args_ + R"("
[ "$1" = read ] && [ "$2" = --no-newline ] || exit 2
case "$3" in
  op://vault/item/field) printf '%s' 'op-value-123' ;;
  op://vault/item/nl) printf 'op-value-nl\n' ;;
  op://vault/signedout/field)
    echo '[ERROR] 2024/05/01 12:00:00 You are not currently signed in. Please run `op signin --help` for instructions' >&2
    exit 1 ;;
  op://vault/missing/field)
    echo '[ERROR] 2024/05/01 12:00:00 "missing" isn'"'"'t an item in the "vault" vault. Specify the item with its UUID, name, or domain.' >&2
    exit 1 ;;
  op://vault/slow/field) sleep 31.7 ;;
  op://vault/big/field) head -c 1048576 /dev/zero | tr '\0' 'k' ;;
  op://vault/echo/field)
    echo 'op: weird failure mentioning op-secret-echo-999' >&2
    exit 3 ;;
  *) exit 1 ;;
esac
)",
                    0700);
    config_.op_program = script;
    config_.timeout = std::chrono::milliseconds(2000);
    source_ = MakeSource(Scheme::kOp, config_);
  }
  Result<SecretValue> Get(const std::string& ref) {
    return source_->Resolve(Ref(ref));
  }

  test::TempDir tmp_;
  std::string args_;
  SourceConfig config_;
  std::unique_ptr<SecretSource> source_;
};

TEST_F(OpSourceTest, ReadsValueWithFixedArgv) {
  auto r = Get("op://vault/item/field");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r.value().Reveal(), "op-value-123");
  EXPECT_EQ(test::ShOut("cat " + args_),
            "read\n--no-newline\nop://vault/item/field\n");
  auto nl = Get("op://vault/item/nl");
  ASSERT_TRUE(nl.ok());
  EXPECT_EQ(nl.value().Reveal(), "op-value-nl");
}

TEST_F(OpSourceTest, SignedOutIsLocked) {
  auto r = Get("op://vault/signedout/field");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kSourceLocked);
  EXPECT_NE(r.error().hint.find("op signin"), std::string::npos);
}

TEST_F(OpSourceTest, MissingItemIsNotFound) {
  auto r = Get("op://vault/missing/field");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kSecretNotFound);
}

TEST_F(OpSourceTest, OtherFailuresAreNotNotFoundAndStderrIsNotEchoed) {
  auto r = Get("op://vault/echo/field");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kSourceUnavailable);
  EXPECT_EQ(r.error().message.find("op-secret-echo"), std::string::npos);
  EXPECT_EQ(r.error().hint.find("op-secret-echo"), std::string::npos);
  EXPECT_NE(r.error().message.find("exit status 3"), std::string::npos);
}

TEST_F(OpSourceTest, TimeoutKillsTheChild) {
  config_.timeout = std::chrono::milliseconds(300);
  source_ = MakeSource(Scheme::kOp, config_);
  auto t0 = std::chrono::steady_clock::now();
  auto r = Get("op://vault/slow/field");
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::steady_clock::now() - t0)
                .count();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kSourceTimeout);
  EXPECT_LT(ms, 3000);
  EXPECT_GE(ms, 290);
  // The sleeping grandchild went with the process group.
  EXPECT_EQ(test::Sh("pgrep -f '^sleep 31.7$' >/dev/null"), 1);
}

TEST_F(OpSourceTest, OneMegabyteValue) {
  auto r = Get("op://vault/big/field");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r.value().size(), 1u << 20);
  EXPECT_EQ(r.value().Reveal().find_first_not_of('k'), std::string::npos);
}

TEST_F(OpSourceTest, MissingProgramIsUnavailable) {
  config_.op_program = "keyref-no-such-op-binary";
  source_ = MakeSource(Scheme::kOp, config_);
  auto r = Get("op://vault/item/field");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kSourceUnavailable);
  EXPECT_FALSE(source_->Probe().available);
}

TEST_F(OpSourceTest, IsReadOnly) {
  auto v = SecretValue::FromBytes("x", 1);
  EXPECT_EQ(source_->Store(Ref("op://vault/item/field"), v).error().code,
            ErrorCode::kSourceDenied);
}

}  // namespace
}  // namespace keyref
