#include "keyref/file_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <thread>

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

Result<std::unique_ptr<ExclusiveFileLock>> ExclusiveFileLock::Take(
    const std::string& lock_path, std::chrono::milliseconds wait) {
  // O_NONBLOCK: a FIFO planted at the path fails (ENXIO) instead of
  // blocking the open until a reader comes.
  int fd = open(lock_path.c_str(),
                O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0600);
  if (fd < 0) {
    return Error(ErrorCode::kSourceDenied,
                 "Cannot open the lock file " + lock_path + ": " +
                     (errno == ELOOP   ? "it is a symbolic link"
                      : errno == ENXIO ? "it is not a regular file"
                                       : std::strerror(errno)) +
                     ".",
                 "Remove it (it holds nothing) and make sure its folder is "
                 "yours and writable.");
  }
  // O_CREAT without O_EXCL opens a file someone else made there too, and
  // flock works on any descriptor: in a folder another user can write, that
  // user could plant the lock file and hold it, and every writer would then
  // wait and give up. So only a file of ours with no other name is used
  // (a hard link elsewhere would let its owner reach it by that name), and
  // its mode is tightened as the files it guards are.
  struct stat sb;
  const char* why = nullptr;
  if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
    why = "it is not a regular file";
  } else if (sb.st_uid != geteuid()) {
    why = "it belongs to another user";
  } else if (sb.st_nlink != 1) {
    why = "it has another name (a hard link)";
  } else if ((sb.st_mode & 0077) != 0 && fchmod(fd, 0600) != 0) {
    why = "its mode cannot be set to 0600";
  }
  if (why != nullptr) {
    close(fd);
    return Error(ErrorCode::kSourceDenied,
                 "Cannot use the lock file " + lock_path + ": " + why + ".",
                 "Remove it (it holds nothing) and make sure its folder is "
                 "yours and not writable by others.");
  }
  const auto deadline = std::chrono::steady_clock::now() + wait;
  int delay_ms = 1;
  for (;;) {
    if (flock(fd, LOCK_EX | LOCK_NB) == 0) break;
    if (errno == EINTR) continue;
    if (errno != EWOULDBLOCK) {
      const std::string why = std::strerror(errno);
      close(fd);
      return Error(ErrorCode::kSourceDenied,
                   "Cannot lock " + lock_path + ": " + why + ".",
                   "Keep the file on a local file system.");
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      close(fd);
      return Error(ErrorCode::kSourceTimeout,
                   "Timed out waiting for the lock " + lock_path +
                       ": another keyref process holds it.",
                   "Retry; if it persists, look for a stopped keyref "
                   "process.");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    delay_ms = std::min(delay_ms * 2, 25);
  }
  return std::unique_ptr<ExclusiveFileLock>(new ExclusiveFileLock(fd));
}

ExclusiveFileLock::~ExclusiveFileLock() {
  flock(fd_, LOCK_UN);
  close(fd_);
}

}  // namespace keyref
