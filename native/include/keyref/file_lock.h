// An advisory, whole-file lock shared by every process on the machine
// (flock(2)). The profile store takes it around every write so that two
// extension hosts saving at once serialise instead of interleaving.
//
// Why flock and not a lock file made with O_EXCL: the kernel drops a flock
// lock when the process holding it dies (even by SIGKILL), so there is no
// stale lock to detect and no race in breaking one.
#pragma once

#include "keyref/error.h"

namespace keyref {

// Tries to take an exclusive lock on the open file `fd` without blocking.
// Returns true when taken, false when another open file description holds
// it, or an Error for any other failure (bad fd, unsupported file system).
Result<bool> TryLockExclusive(int fd) noexcept;

// Releases a lock taken by TryLockExclusive. Closing the fd also releases it.
void UnlockFile(int fd) noexcept;

}  // namespace keyref
