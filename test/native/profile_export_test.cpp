// WriteProfileExportWithSecrets: the gate, the file (0600, atomic, exact
// JSON), and a failed resolution writing nothing.
#include "keyref/profile_export.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

namespace keyref {
namespace {

class ProfileExportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/keyref-export-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/out.json";
  }
  void TearDown() override {
    unlink(path_.c_str());
    rmdir(dir_.c_str());
  }
  static std::string Read(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  bool Exists() const { return access(path_.c_str(), F_OK) == 0; }

  std::string dir_;
  std::string path_;
};

Policy Allowing() {
  Policy p;
  p.allow_secret_export = true;
  return p;
}

TEST_F(ProfileExportTest, RefusedWhenThePolicyDoesNotAllowIt) {
  Instance instance{Policy{}};
  auto r = WriteProfileExportWithSecrets(instance, {{"{\"id\":\"a\"}", ""}},
                                         path_, true);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kExportDenied);
  EXPECT_FALSE(Exists());
}

// The native half of the gate: an open policy is not enough; the confirm
// callback, called by native code, must have answered exactly true.
TEST_F(ProfileExportTest, RefusedWithoutTheUsersConfirmation) {
  setenv("KEYREF_EXPORT_TEST_KEY", "cnrx5f0e9a1b7c3d2e8f4a6b", 1);
  Instance instance{Allowing()};
  auto r = WriteProfileExportWithSecrets(
      instance, {{"{\"id\":\"a\"}", "env:KEYREF_EXPORT_TEST_KEY"}}, path_,
      false);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kExportDenied);
  EXPECT_NE(r.error().message.find("not confirmed"), std::string::npos);
  EXPECT_FALSE(Exists());
  EXPECT_EQ(instance.redactor().Redact("cnrx5f0e9a1b7c3d2e8f4a6b"),
            "cnrx5f0e9a1b7c3d2e8f4a6b");  // not even resolved
}

TEST(ProfileExportIdsTest, IdsComeFromTheProfiles) {
  EXPECT_EQ(ProfileExportIds({{"{\"id\":\"a\",\"x\":1}", ""},
                              {"{\"label\":\"no id\"}", ""},
                              {"not json", ""},
                              {"{\"id\":7}", ""}}),
            (std::vector<std::string>{"a", "", "", ""}));
}

TEST_F(ProfileExportTest, WritesResolvedKeysEscapedWithMode0600) {
  setenv("KEYREF_EXPORT_TEST_KEY", "ab\"c\\d", 1);
  Instance instance{Allowing()};
  auto r = WriteProfileExportWithSecrets(
      instance,
      {{"{\"id\":\"a\"}", "env:KEYREF_EXPORT_TEST_KEY"},
       {"{\"id\":\"b\"}", ""}},
      path_, true);
  unsetenv("KEYREF_EXPORT_TEST_KEY");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r.value().profiles, 2u);
  EXPECT_EQ(r.value().secrets, 1u);
  EXPECT_EQ(Read(path_),
            "{\"format\":\"keyref.llm-profiles\",\"version\":1,"
            "\"includesSecrets\":true,\"profiles\":["
            "{\"profile\":{\"id\":\"a\"},\"apiKey\":\"ab\\\"c\\\\d\"},"
            "{\"profile\":{\"id\":\"b\"}}]}\n");
  struct stat st;
  ASSERT_EQ(stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(ProfileExportTest, AFailedResolutionWritesNothing) {
  unsetenv("KEYREF_EXPORT_TEST_MISSING");
  Instance instance{Allowing()};
  auto r = WriteProfileExportWithSecrets(
      instance, {{"{\"id\":\"a\"}", "env:KEYREF_EXPORT_TEST_MISSING"}}, path_,
      true);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kSecretNotFound);
  EXPECT_FALSE(Exists());
}

TEST_F(ProfileExportTest, ARefTheParserRefusesWritesNothing) {
  Instance instance{Allowing()};
  auto r = WriteProfileExportWithSecrets(
      instance, {{"{\"id\":\"a\"}", "NOT_A_REF"}}, path_, true);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kRefNoScheme);
  EXPECT_FALSE(Exists());
}

}  // namespace
}  // namespace keyref
