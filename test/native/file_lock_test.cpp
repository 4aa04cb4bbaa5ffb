// TryLockExclusive: one holder at a time across open file descriptions;
// released by UnlockFile and by close.
#include "keyref/file_lock.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include "test_util.h"

namespace keyref {
namespace {

TEST(FileLock, OneHolderAtATime) {
  char tmpl[] = "/tmp/keyref-lock-XXXXXX";
  int a = mkstemp(tmpl);
  ASSERT_GE(a, 0);
  int b = open(tmpl, O_RDWR);
  ASSERT_GE(b, 0);
  ASSERT_TRUE(TryLockExclusive(a).ok());
  auto first = TryLockExclusive(a);
  EXPECT_TRUE(first.value());
  EXPECT_FALSE(TryLockExclusive(b).value());
  UnlockFile(a);
  EXPECT_TRUE(TryLockExclusive(b).value());
  close(b);  // closing releases
  EXPECT_TRUE(TryLockExclusive(a).value());
  close(a);
  unlink(tmpl);
}

TEST(FileLock, ABadDescriptorIsAnError) {
  auto r = TryLockExclusive(-1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInternal);
}

// A lock file someone else made (in a folder another user can write, they
// could plant it and hold it, and every writer would wait and give up) is
// refused, not used. Before, Take opened it like its own.
TEST(ExclusiveFileLockTest, ALockFileOfAnotherUserIsRefused) {
  if (geteuid() != 0) {
    GTEST_SKIP() << "giving a file to another user needs root";
  }
  test::TempDir dir;
  const std::string path = dir.path() + "/x.lock";
  int fd = open(path.c_str(), O_WRONLY | O_CREAT, 0666);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(fchown(fd, 65534, 65534), 0);
  ASSERT_EQ(fchmod(fd, 0666), 0);
  close(fd);
  auto lock = ExclusiveFileLock::Take(path, std::chrono::milliseconds{0});
  ASSERT_FALSE(lock.ok());
  EXPECT_EQ(lock.error().code, ErrorCode::kSourceDenied);
  EXPECT_NE(lock.error().message.find(path), std::string::npos);
  EXPECT_NE(lock.error().message.find("another user"), std::string::npos);
}

// A lock file with a second name is refused: its other name may be in a
// folder someone else reaches.
TEST(ExclusiveFileLockTest, AHardLinkedLockFileIsRefused) {
  test::TempDir dir;
  const std::string path = dir.path() + "/x.lock";
  int fd = open(path.c_str(), O_WRONLY | O_CREAT, 0600);
  ASSERT_GE(fd, 0);
  close(fd);
  ASSERT_EQ(link(path.c_str(), (dir.path() + "/other").c_str()), 0);
  auto lock = ExclusiveFileLock::Take(path, std::chrono::milliseconds{0});
  ASSERT_FALSE(lock.ok());
  EXPECT_EQ(lock.error().code, ErrorCode::kSourceDenied);
  EXPECT_NE(lock.error().message.find("hard link"), std::string::npos);
}

// A lock file of ours that others may read or write is tightened to 0600,
// as the audit file is.
TEST(ExclusiveFileLockTest, AnOpenModeIsTightened) {
  test::TempDir dir;
  const std::string path = dir.path() + "/x.lock";
  int fd = open(path.c_str(), O_WRONLY | O_CREAT, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(fchmod(fd, 0666), 0);
  close(fd);
  auto lock = ExclusiveFileLock::Take(path, std::chrono::milliseconds{0});
  ASSERT_TRUE(lock.ok());
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
}

}  // namespace
}  // namespace keyref
