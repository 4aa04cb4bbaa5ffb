// Temporary files of atomic writes (write a temporary in the same folder,
// fsync, rename over the target). A writer killed between creating its
// temporary and the rename (SIGKILL, a crash) leaves the temporary behind,
// and the temporaries of the secrets file and of an export with secrets
// hold secrets. So they are named after the writing process, and the next
// writer of the same target removes those of processes that no longer run
// (docs/reliability.md).
#pragma once

#include <string>

namespace keyref {

// "<target>.tmp-<pid>-": the prefix of this process's temporaries of
// `target`; a writer appends a random part (mkstemp's XXXXXX).
std::string TempPrefixFor(const std::string& target);

// Removes "<target>.tmp-<pid>-*" files whose process is gone. Best effort:
// errors are ignored (the write that follows reports its own). For a writer
// that takes no lock (the native export). The pid is only what this
// process's PID namespace says: a temporary written from another namespace
// (a container sharing the folder) may be left behind when its number runs
// here, or removed while its writer still runs there, which then fails its
// rename and reports the write as failed. Neither loses or changes a
// secret: the target is only ever replaced by a whole rename.
void RemoveDeadWritersTemps(const std::string& target) noexcept;

// Removes every "<target>.tmp-<pid>-*" file, whatever its pid says. Only for
// a writer holding the target's lock (file_lock.h) under which every
// temporary of `target` is made and renamed (the file: source): one found
// then belongs to a writer that died mid-write, in this PID namespace or
// another, since flock(2) is held on the file, not by a pid.
void RemoveTempsUnderLock(const std::string& target) noexcept;

}  // namespace keyref
