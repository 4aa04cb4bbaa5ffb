// The captured environment (process_env.h): what worker threads read
// instead of getenv() and environ, so that a setenv() on the JS thread
// (process.env.X = … in JavaScript) never races with them. These tests pin
// what is read: the environment as it was when the instance (or source)
// was made, for env: refs, the child programs' PATH and environment.
#include "keyref/process_env.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include "keyref/instance.h"
#include "keyref/source.h"
#include "sources/child_process.h"
#include "test_util.h"

namespace keyref {
namespace {

ParsedRef Ref(const std::string& text) {
  auto r = ParseRef(text, SchemeSet::All());
  EXPECT_TRUE(r.ok()) << text;
  return r.value();
}

TEST(ProcessEnvTest, GetFindsWholeNamesOnly) {
  auto env = ProcessEnv::FromEntries(
      {"A=1", "AB=2", "EMPTY=", "A=shadowed", "EQ=x=y", "NOEQUALS"});
  ASSERT_NE(env->Get("A"), nullptr);
  EXPECT_STREQ(env->Get("A"), "1");  // the first entry wins, as in getenv
  EXPECT_STREQ(env->Get("AB"), "2");
  EXPECT_STREQ(env->Get("EMPTY"), "");
  EXPECT_STREQ(env->Get("EQ"), "x=y");
  EXPECT_EQ(env->Get("B"), nullptr);
  EXPECT_EQ(env->Get("NOEQUALS"), nullptr);
  EXPECT_EQ(env->Get(""), nullptr);
  EXPECT_EQ(env->Get("A=1"), nullptr);  // a name never holds '='
  EXPECT_STREQ(env->envp()[0], "A=1");
  EXPECT_EQ(env->envp()[6], nullptr);
}

TEST(ProcessEnvTest, CaptureIsACopy) {
  const std::string name = test::RandomName("KEYREF_PENV_");
  setenv(name.c_str(), "before", 1);
  auto env = ProcessEnv::Capture();
  setenv(name.c_str(), "after", 1);
  EXPECT_STREQ(env->Get(name), "before");
  unsetenv(name.c_str());
  EXPECT_STREQ(env->Get(name), "before");
  EXPECT_STREQ(ProcessEnv::Capture()->Get("PATH"), std::getenv("PATH"));
}

// An instance reads env: refs from the environment it was made with: a
// variable set later is not found, one changed later keeps its old value.
// (Before, a worker called getenv() for each resolution.)
TEST(ProcessEnvTest, InstanceResolvesEnvRefsFromItsCapture) {
  const std::string kept = test::RandomName("KEYREF_PENV_KEPT_");
  const std::string later = test::RandomName("KEYREF_PENV_LATER_");
  setenv(kept.c_str(), "captured-value-0123456789", 1);
  Policy p;
  p.allow = SchemeSet::All();
  Instance inst(p, nullptr);
  setenv(kept.c_str(), "changed-value-0123456789", 1);
  setenv(later.c_str(), "later-value-0123456789", 1);
  auto got = inst.Resolve(Ref("env:" + kept));
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(got.value().value().Reveal(), "captured-value-0123456789");
  auto missing = inst.Resolve(Ref("env:" + later));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kSecretNotFound);
  unsetenv(kept.c_str());
  unsetenv(later.c_str());
}

// A policy may carry its own environment (the CLI and tests): nothing of
// the process's is read then.
TEST(ProcessEnvTest, PolicyEnvironmentIsTheOnlyOneRead) {
  const std::string name = test::RandomName("KEYREF_PENV_POLICY_");
  setenv(name.c_str(), "process-value-0123456789", 1);
  Policy p;
  p.allow = SchemeSet::All();
  p.env = ProcessEnv::FromEntries({name + "=policy-value-0123456789"});
  Instance inst(p, nullptr);
  auto got = inst.Resolve(Ref("env:" + name));
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(got.value().value().Reveal(), "policy-value-0123456789");
  unsetenv(name.c_str());
}

// op and pass run with the captured environment and are looked up on its
// PATH: posix_spawnp would have read PATH with getenv(), and the child
// would have inherited environ, on a worker thread.
TEST(ProcessEnvTest, ChildRunsWithTheCapturedEnvironment) {
  const std::string name = test::RandomName("KEYREF_PENV_CHILD_");
  setenv(name.c_str(), "process-value", 1);
  auto env =
      ProcessEnv::FromEntries({"PATH=/usr/bin:/bin", name + "=captured-value"});
  sources::ChildResult r =
      sources::RunChild({"sh", "-c", "printf %s \"$" + name + "\""}, *env,
                        std::chrono::milliseconds(10000), 1024);
  ASSERT_EQ(r.outcome, sources::ChildResult::Outcome::kExited);
  EXPECT_EQ(r.exit_status, 0);
  EXPECT_EQ(r.out.Reveal(), "captured-value");
  unsetenv(name.c_str());

  // Not on the captured PATH: not found, whatever the process's PATH has.
  auto no_path = ProcessEnv::FromEntries({"PATH=/nonexistent-keyref-dir"});
  EXPECT_TRUE(sources::ProgramOnPath("sh", *env));
  EXPECT_FALSE(sources::ProgramOnPath("sh", *no_path));
  EXPECT_EQ(sources::FindProgram("sh", *no_path), "");
  sources::ChildResult missing = sources::RunChild(
      {"sh", "-c", "true"}, *no_path, std::chrono::milliseconds(10000), 1024);
  EXPECT_EQ(missing.outcome, sources::ChildResult::Outcome::kNotFound);
}

// Only absolute PATH entries are searched: an empty entry (the current
// folder, to execvp) or a relative one would start a `pass` a workspace
// holds, with the whole environment (a review ran one from PATH="/x:").
TEST(ProcessEnvTest, FindOnPathSearchesAbsoluteEntriesOnly) {
  test::TempDir tmp;
  const std::string name = test::RandomName("keyref-path-probe-");
  test::WriteFile(tmp.path() + "/" + name, "#!/bin/sh\nexit 0\n", 0700);
  ASSERT_EQ(mkdir((tmp.path() + "/sub").c_str(), 0700), 0);
  test::WriteFile(tmp.path() + "/sub/" + name, "#!/bin/sh\nexit 0\n", 0700);
  char cwd[4096];
  ASSERT_NE(getcwd(cwd, sizeof cwd), nullptr);
  ASSERT_EQ(chdir(tmp.path().c_str()), 0);
  for (const char* path : {"PATH=", "PATH=:", "PATH=/nonexistent:", "PATH=.",
                           "PATH=sub", "PATH=./sub:/nonexistent"}) {
    auto env = ProcessEnv::FromEntries({path});
    EXPECT_EQ(FindOnPath(name, *env), "") << path;
    EXPECT_FALSE(sources::ProgramOnPath(name, *env)) << path;
  }
  auto abs = ProcessEnv::FromEntries({"PATH=/nonexistent::" + tmp.path()});
  EXPECT_EQ(FindOnPath(name, *abs), tmp.path() + "/" + name);
  ASSERT_EQ(chdir(cwd), 0);
}

}  // namespace
}  // namespace keyref
