// TryLockExclusive: one holder at a time across open file descriptions;
// released by UnlockFile and by close.
#include "keyref/file_lock.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <string>

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

}  // namespace
}  // namespace keyref
