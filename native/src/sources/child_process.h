// Runs a helper program (op, pass) without a shell, with a fixed argument
// vector and a deadline, reading its stdout straight into a SecretValue.
// Private to the sources.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "keyref/process_env.h"
#include "keyref/secret_value.h"

namespace keyref::sources {

// What became of one run.
struct ChildResult {
  enum class Outcome {
    kExited,    // ran to the end; see exit_status
    kNotFound,  // the program is not on PATH (ENOENT at spawn)
    kTimedOut,  // killed (with its process group) at the deadline
    kTooLarge,  // stdout passed max_stdout; killed
    kSpawnFailed,
  };
  Outcome outcome = Outcome::kSpawnFailed;
  int exit_status = -1;  // exit code, or 128 + signal
  int spawn_errno = 0;
  // The child's stdout: may hold the secret.
  SecretValue out;
  // The first few KiB of stderr, for classifying the failure only. Never
  // shown, logged or put into an error: it may echo what the child read.
  // Callers wipe it (SecureZero) when done.
  std::string err;
};

// Runs argv[0] (looked up on env's PATH) with argv, stdin from /dev/null,
// in its own process group, with `env` as its environment (the process's,
// as the instance captured it: never environ, which a worker must not read
// while JS may change it; process_env.h). No shell is involved.
ChildResult RunChild(const std::vector<std::string>& argv,
                     const ProcessEnv& env, std::chrono::milliseconds timeout,
                     std::size_t max_stdout);

// The executable `program` names: FindOnPath (process_env.h), which
// searches only absolute PATH entries.
std::string FindProgram(const std::string& program, const ProcessEnv& env);

// True when FindProgram finds an executable.
bool ProgramOnPath(const std::string& program, const ProcessEnv& env);

}  // namespace keyref::sources
