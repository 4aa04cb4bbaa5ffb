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
// errors are ignored (the write that follows reports its own).
void RemoveDeadWritersTemps(const std::string& target) noexcept;

}  // namespace keyref
