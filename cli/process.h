// Runs a helper program (pass, gpg) for the CLI's own writes: no shell, a
// fixed argument vector, the key (if any) written to its stdin from the
// SecretValue, stdout discarded, the first bytes of stderr kept for
// classifying a failure only (never shown: it may echo what it was given).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "keyref/secret_value.h"

namespace keyref::cli {

struct RunResult {
  bool started = false;  // false: not found on PATH or spawn failed
  bool timed_out = false;
  int exit_status = -1;  // exit code, or 128 + signal
  std::string err;       // first 4 KiB of stderr; callers wipe it
};

// `input` (may be null) is written to the child's stdin, then stdin is
// closed. The child is killed after `timeout`.
RunResult RunProgram(const std::vector<std::string>& argv,
                     const SecretValue* input,
                     std::chrono::milliseconds timeout);

// True when `program` is on PATH (or is a path to an executable).
bool OnPath(const std::string& program);

}  // namespace keyref::cli
