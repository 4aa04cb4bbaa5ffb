// An advisory, whole-file lock shared by every process on the machine
// (flock(2)). The profile store takes it around every write so that two
// extension hosts saving at once serialise instead of interleaving; the
// file: source and the CLI's config take it around each read-modify-write
// of their file, so that two writers at once do not lose each other's
// entries.
//
// Why flock and not a lock file made with O_EXCL: the kernel drops a flock
// lock when the process holding it dies (even by SIGKILL), so there is no
// stale lock to detect and no race in breaking one.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "keyref/error.h"

namespace keyref {

// Tries to take an exclusive lock on the open file `fd` without blocking.
// Returns true when taken, false when another open file description holds
// it, or an Error for any other failure (bad fd, unsupported file system).
Result<bool> TryLockExclusive(int fd) noexcept;

// Releases a lock taken by TryLockExclusive. Closing the fd also releases it.
void UnlockFile(int fd) noexcept;

// An exclusive lock on a lock file, held for the life of the object.
class ExclusiveFileLock {
 public:
  // Opens `lock_path` (created with mode 0600; never through a symbolic
  // link; refused unless a regular file of ours with one name, and an
  // existing one tightened to 0600) and waits up to `wait` for the lock.
  // SOURCE_TIMEOUT when another holder keeps it longer, SOURCE_DENIED when
  // the file cannot be opened or is refused. Messages name the path.
  static Result<std::unique_ptr<ExclusiveFileLock>> Take(
      const std::string& lock_path, std::chrono::milliseconds wait);
  ~ExclusiveFileLock();
  ExclusiveFileLock(const ExclusiveFileLock&) = delete;
  ExclusiveFileLock& operator=(const ExclusiveFileLock&) = delete;

 private:
  explicit ExclusiveFileLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace keyref
