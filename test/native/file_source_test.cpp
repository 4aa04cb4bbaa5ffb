// The file: source: a real JSON file in a temp folder, with the ssh-style
// permission rules.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <future>
#include <string>
#include <vector>

#include "keyref/source.h"
#include "keyref/temp_file.h"
#include "test_util.h"

namespace keyref {
namespace {

using test::TempDir;
using test::WriteFile;

ParsedRef Ref(const std::string& text) {
  auto r = ParseRef(text, SchemeSet::All());
  EXPECT_TRUE(r.ok()) << text;
  return r.value();
}

class FileSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = tmp_.path() + "/keyref";
    mkdir(dir_.c_str(), 0700);
    path_ = dir_ + "/secrets.json";
    config_.plaintext_file = path_;
    source_ = MakeSource(Scheme::kFile, config_);
  }
  Result<SecretValue> Get(const std::string& name) {
    return source_->Resolve(Ref("file:" + name));
  }
  ErrorCode CodeOf(const std::string& name) {
    auto r = Get(name);
    return r.ok() ? ErrorCode::kOk : r.error().code;
  }

  TempDir tmp_;
  std::string dir_, path_;
  SourceConfig config_;
  std::unique_ptr<SecretSource> source_;
};

TEST_F(FileSourceTest, ResolvesAnEntry) {
  WriteFile(path_, R"({"openai": "sk-one", "other": {"x": [1, true, null]},
                      "esc": "a\"b\\c\u00e9\ud83d\ude00"})",
            0600);
  auto r = Get("openai");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r.value().Reveal(), "sk-one");
  auto e = Get("esc");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e.value().Reveal(), "a\"b\\c\xC3\xA9\xF0\x9F\x98\x80");
  EXPECT_EQ(CodeOf("nope"), ErrorCode::kSecretNotFound);
  EXPECT_TRUE(source_->Probe().available);
}

TEST_F(FileSourceTest, MissingFileIsNotFound) {
  EXPECT_EQ(CodeOf("openai"), ErrorCode::kSecretNotFound);
}

TEST_F(FileSourceTest, FileReadableByOthersIsDenied) {
  for (mode_t mode : {0644, 0640, 0604, 0660, 0602}) {
    WriteFile(path_, R"({"a": "v"})", mode);
    chmod(path_.c_str(), mode);
    auto r = Get("a");
    ASSERT_FALSE(r.ok()) << std::oct << mode;
    EXPECT_EQ(r.error().code, ErrorCode::kSourceDenied);
    EXPECT_NE(r.error().hint.find("chmod 600"), std::string::npos);
  }
  chmod(path_.c_str(), 0600);
  EXPECT_EQ(CodeOf("a"), ErrorCode::kOk);
  chmod(path_.c_str(), 0400);
  EXPECT_EQ(CodeOf("a"), ErrorCode::kOk);
}

TEST_F(FileSourceTest, FolderOpenToOthersIsDenied) {
  WriteFile(path_, R"({"a": "v"})", 0600);
  for (mode_t mode : {0755, 0750, 0705, 0722}) {
    chmod(dir_.c_str(), mode);
    auto r = Get("a");
    ASSERT_FALSE(r.ok()) << std::oct << mode;
    EXPECT_EQ(r.error().code, ErrorCode::kSourceDenied);
    EXPECT_NE(r.error().hint.find("chmod 700"), std::string::npos);
  }
  chmod(dir_.c_str(), 0711);  // traversable, not listable: accepted
  EXPECT_EQ(CodeOf("a"), ErrorCode::kOk);
}

TEST_F(FileSourceTest, NotOwnedByTheUserIsDenied) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to chown";
  WriteFile(path_, R"({"a": "v"})", 0600);
  ASSERT_EQ(chown(path_.c_str(), 65534, 65534), 0);
  EXPECT_EQ(CodeOf("a"), ErrorCode::kSourceDenied);
  ASSERT_EQ(chown(path_.c_str(), 0, 0), 0);
  ASSERT_EQ(chown(dir_.c_str(), 65534, 65534), 0);
  EXPECT_EQ(CodeOf("a"), ErrorCode::kSourceDenied);
  ASSERT_EQ(chown(dir_.c_str(), 0, 0), 0);
  EXPECT_EQ(CodeOf("a"), ErrorCode::kOk);
}

TEST_F(FileSourceTest, SymlinkIsDenied) {
  const std::string real = dir_ + "/real.json";
  WriteFile(real, R"({"a": "v"})", 0600);
  ASSERT_EQ(symlink(real.c_str(), path_.c_str()), 0);
  EXPECT_EQ(CodeOf("a"), ErrorCode::kSourceDenied);
}

// A FIFO at the path: opening it for reading used to block until a writer
// came, with no timeout (and under the instance's write lock for Store,
// Bind and Delete). It is refused at once as not a regular file.
TEST_F(FileSourceTest, FifoIsDeniedWithoutBlocking) {
  ASSERT_EQ(mkfifo(path_.c_str(), 0600), 0);
  auto code = std::async(std::launch::async, [this] { return CodeOf("a"); });
  if (code.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
    // Unblock the reader (a writer opens and closes) so the test can end.
    int w = open(path_.c_str(), O_WRONLY | O_NONBLOCK);
    if (w >= 0) close(w);
    FAIL() << "resolving file:a blocked on the FIFO";
  }
  EXPECT_EQ(code.get(), ErrorCode::kSourceDenied);
}

TEST_F(FileSourceTest, BrokenJsonAndNonStringValues) {
  WriteFile(path_, R"({"a": "v",})", 0600);
  EXPECT_EQ(CodeOf("a"), ErrorCode::kSourceUnavailable);
  WriteFile(path_, R"(["a"])", 0600);
  EXPECT_EQ(CodeOf("a"), ErrorCode::kSourceUnavailable);
  WriteFile(path_, R"({"a": 42, "b": null})", 0600);
  EXPECT_EQ(CodeOf("a"), ErrorCode::kSecretMalformed);
  EXPECT_EQ(CodeOf("b"), ErrorCode::kSecretMalformed);
  // A broken file's message never quotes it.
  WriteFile(path_, R"({"a": "sk-canary-in-broken-file)", 0600);
  auto r = Get("a");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message.find("canary"), std::string::npos);
}

TEST_F(FileSourceTest, StoreCreatesFolderAndFileWithPrivateModes) {
  rmdir(dir_.c_str());
  auto v = SecretValue::FromBytes("new\"value", 9);
  ASSERT_TRUE(source_->Store(Ref("file:k/one"), v).ok());
  struct stat sb;
  ASSERT_EQ(stat(dir_.c_str(), &sb), 0);
  EXPECT_EQ(sb.st_mode & 0777, 0700u);
  ASSERT_EQ(stat(path_.c_str(), &sb), 0);
  EXPECT_EQ(sb.st_mode & 0777, 0600u);
  auto r = Get("k/one");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value().Reveal(), "new\"value");
}

TEST_F(FileSourceTest, StoreKeepsOtherEntriesAndDeleteRemoves) {
  WriteFile(path_, R"({"keep": "k\u0041", "obj": {"n": [1,2]}, "x": "old"})",
            0600);
  auto v = SecretValue::FromBytes("new", 3);
  ASSERT_TRUE(source_->Store(Ref("file:x"), v).ok());
  ASSERT_TRUE(source_->Store(Ref("file:y"), v).ok());
  EXPECT_EQ(Get("keep").value().Reveal(), "kA");
  EXPECT_EQ(Get("x").value().Reveal(), "new");
  EXPECT_EQ(Get("y").value().Reveal(), "new");
  EXPECT_EQ(test::ShOut("cat " + path_).find("\"obj\": {\"n\": [1,2]}") !=
                std::string::npos,
            true);
  ASSERT_TRUE(source_->Delete(Ref("file:x")).ok());
  EXPECT_EQ(CodeOf("x"), ErrorCode::kSecretNotFound);
  EXPECT_EQ(Get("keep").value().Reveal(), "kA");
  EXPECT_TRUE(source_->Delete(Ref("file:x")).ok());  // already gone
}

// Member names are decoded when read, so a write must escape them again:
// a name holding a quote was written back bare, and the file (every file:
// ref) was unreadable from then on. A read-only check made that first
// write (the fingerprint key's entry).
TEST_F(FileSourceTest, StoreEscapesTheNamesItCopies) {
  WriteFile(path_,
            R"({"work \"old\" key": "v1", "back\\slash": "v2",)"
            R"( "tab\tand\u0001": "v3", "a": "sk-one"})",
            0600);
  auto v = SecretValue::FromBytes("ctl\x01\"\\", 6);
  ASSERT_TRUE(source_->Store(Ref("file:b"), v).ok());
  ASSERT_EQ(CodeOf("a"), ErrorCode::kOk);
  EXPECT_EQ(Get("b").value().Reveal(), "ctl\x01\"\\");
  const std::string text = test::ShOut("cat " + path_);
  EXPECT_NE(text.find(R"("work \"old\" key": "v1")"), std::string::npos);
  EXPECT_NE(text.find(R"("back\\slash": "v2")"), std::string::npos);
  EXPECT_NE(text.find(R"("tab\u0009and\u0001": "v3")"), std::string::npos);
  // A second write reads the file the first wrote.
  ASSERT_TRUE(source_->Delete(Ref("file:b")).ok());
  EXPECT_EQ(Get("a").value().Reveal(), "sk-one");
  EXPECT_EQ(CodeOf("b"), ErrorCode::kSecretNotFound);
}

// Writers in separate processes, each with its own source, store distinct
// names at once. Each write reads the file, adds its entry and renames a
// new file over it; without the lock shared between processes, two writers
// read the same old file and the second rename drops the first one's entry
// (every store still reported success).
TEST_F(FileSourceTest, WritersInSeparateProcessesLoseNoEntry) {
  constexpr int kChildren = 8;
  constexpr int kEach = 10;
  int gate[2];
  ASSERT_EQ(pipe(gate), 0);
  std::vector<pid_t> children;
  for (int c = 0; c < kChildren; ++c) {
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(gate[1]);
      char b;
      while (read(gate[0], &b, 1) < 0 && errno == EINTR) {
      }
      auto mine = MakeSource(Scheme::kFile, config_);
      bool ok = true;
      for (int i = 0; i < kEach; ++i) {
        const std::string name =
            "p" + std::to_string(c) + "-" + std::to_string(i);
        auto v = SecretValue::FromBytes(name.data(), name.size());
        ok = mine->Store(Ref("file:" + name), v).ok() && ok;
      }
      _exit(ok ? 0 : 1);
    }
    children.push_back(pid);
  }
  close(gate[0]);
  close(gate[1]);  // every child starts now
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  int missing = 0;
  for (int c = 0; c < kChildren; ++c) {
    for (int i = 0; i < kEach; ++i) {
      const std::string name =
          "p" + std::to_string(c) + "-" + std::to_string(i);
      auto r = Get(name);
      missing += !(r.ok() && r.value().Reveal() == name);
    }
  }
  EXPECT_EQ(missing, 0) << "of " << kChildren * kEach << " entries";
  struct stat sb;
  ASSERT_EQ(lstat((dir_ + "/.secrets.json.lock").c_str(), &sb), 0);
  EXPECT_TRUE(S_ISREG(sb.st_mode));
  EXPECT_EQ(sb.st_mode & 0777, 0600u);
}

// A temporary left by a writer that died mid-write is removed by the next
// store whatever its pid: the store holds the file's lock, under which every
// temporary is made, and a pid from another PID namespace (a container
// sharing the folder) says nothing here. pid 1 runs in every namespace;
// before, kill(1, 0) said "alive" and the temporary, holding a key deleted
// since, stayed for good. The store itself is whole and right.
TEST_F(FileSourceTest, AStoreRemovesTempsOfAnyPidUnderTheLock) {
  WriteFile(path_, R"({"a": "v"})", 0600);
  const std::vector<std::string> stale = {
      path_ + ".tmp-1-AbC123",
      path_ + ".tmp-" + std::to_string(getpid()) + "-XyZ789"};
  for (const std::string& t : stale) {
    WriteFile(t, R"({"a": "v", "deleted": "old-key"})", 0600);
  }
  const std::string other = dir_ + "/secrets.json.tmp-notapid-1";
  WriteFile(other, "theirs", 0600);
  auto v = SecretValue::FromBytes("new", 3);
  ASSERT_TRUE(source_->Store(Ref("file:b"), v).ok());
  struct stat sb;
  for (const std::string& t : stale) {
    EXPECT_NE(lstat(t.c_str(), &sb), 0) << t << " is still there";
  }
  EXPECT_EQ(lstat(other.c_str(), &sb), 0) << "not a keyref temporary";
  auto a = Get("a");
  auto b = Get("b");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a.value().Reveal(), "v");
  EXPECT_EQ(b.value().Reveal(), "new");
  EXPECT_EQ(CodeOf("deleted"), ErrorCode::kSecretNotFound);
}

// The export takes no lock, so it keeps asking whether the pid runs: a
// live one's temporary stays (at worst left behind, never another
// writer's removed in this namespace).
TEST(TempFiles, DeadWritersCleanupKeepsALiveProcesssTemp) {
  test::TempDir tmp;
  const std::string target = tmp.path() + "/export.json";
  const std::string live = target + ".tmp-" + std::to_string(getpid()) + "-123";
  WriteFile(live, "x", 0600);
  RemoveDeadWritersTemps(target);
  struct stat sb;
  EXPECT_EQ(lstat(live.c_str(), &sb), 0);
  RemoveTempsUnderLock(target);
  EXPECT_NE(lstat(live.c_str(), &sb), 0);
}

// The lock file is opened without following a symbolic link: a link
// planted there is refused and its target is not created.
TEST_F(FileSourceTest, ALockFileThatIsASymlinkIsRefused) {
  const std::string target = dir_ + "/elsewhere";
  ASSERT_EQ(symlink(target.c_str(), (dir_ + "/.secrets.json.lock").c_str()), 0);
  auto v = SecretValue::FromBytes("new", 3);
  auto st = source_->Store(Ref("file:a"), v);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kSourceDenied);
  struct stat sb;
  EXPECT_NE(lstat(target.c_str(), &sb), 0);
  EXPECT_NE(lstat(path_.c_str(), &sb), 0);
}

TEST_F(FileSourceTest, StoreRefusesAFileOthersCanRead) {
  WriteFile(path_, R"({"a": "v"})", 0644);
  auto v = SecretValue::FromBytes("new", 3);
  auto st = source_->Store(Ref("file:a"), v);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kSourceDenied);
}

TEST_F(FileSourceTest, OneMegabyteValue) {
  std::string big(1 << 20, 'k');
  WriteFile(path_, "{\"big\": \"" + big + "\"}", 0600);
  auto r = Get("big");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value().size(), big.size());
  EXPECT_EQ(r.value().Reveal(), big);
}

TEST(FileSourcePath, DefaultIsUnderXdgConfigHome) {
  setenv("XDG_CONFIG_HOME", "/x/cfg", 1);
  EXPECT_EQ(PlaintextFilePath("", *ProcessEnv::Capture()),
            "/x/cfg/keyref/secrets.json");
  unsetenv("XDG_CONFIG_HOME");
  setenv("HOME", "/home/u", 1);
  EXPECT_EQ(PlaintextFilePath("", *ProcessEnv::Capture()),
            "/home/u/.config/keyref/secrets.json");
  EXPECT_EQ(PlaintextFilePath("/p/s.json", *ProcessEnv::Capture()),
            "/p/s.json");
}

}  // namespace
}  // namespace keyref
