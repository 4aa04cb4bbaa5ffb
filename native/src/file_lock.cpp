#include "keyref/file_lock.h"

#include <sys/file.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace keyref {

Result<bool> TryLockExclusive(int fd) noexcept {
  for (;;) {
    if (flock(fd, LOCK_EX | LOCK_NB) == 0) return true;
    if (errno == EINTR) continue;
    if (errno == EWOULDBLOCK) return false;
    return Error(ErrorCode::kInternal,
                 std::string("Could not lock the profile folder: ") +
                     std::strerror(errno) + ".",
                 "Keep the profile folder on a local file system.");
  }
}

void UnlockFile(int fd) noexcept { flock(fd, LOCK_UN); }

}  // namespace keyref
