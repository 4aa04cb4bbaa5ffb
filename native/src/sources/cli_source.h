// The skeleton the CLI-backed sources (op, pass) share: run the program
// with a fixed argv, map the outcomes that are not an exit (not installed,
// timed out, too much output, not startable) to each source's own texts,
// trim the value on success, and classify a failure from stderr. Private to
// the sources.
#pragma once

#include <chrono>
#include <initializer_list>
#include <string>
#include <vector>

#include "keyref/error.h"
#include "keyref/process_env.h"
#include "keyref/secret_value.h"

namespace keyref::sources {

// Larger than any key; a bigger output is refused, not truncated.
inline constexpr std::size_t kMaxCliOutput = 8u << 20;

// What a source says for each outcome that is not an exit.
struct CliFailureTexts {
  Error not_installed;  // SOURCE_UNAVAILABLE
  Error timed_out;      // SOURCE_TIMEOUT
  Error too_large;      // SECRET_MALFORMED
  Error spawn_failed;   // SOURCE_UNAVAILABLE
};

// How one source reads its program's answer.
struct CliDialect {
  CliFailureTexts texts;
  // Turns stdout of a successful run into the value (e.g. keep the first
  // line). Works in place on the SecretValue: no copy of the key.
  void (*trim)(SecretValue& out);
  // The error for a non-zero exit, from the first KiB of stderr. It must
  // not pass stderr on (it may echo parts of items).
  Error (*classify)(const std::string& err, int exit_status);
};

// Runs argv (no shell) in `env` and applies the dialect. stderr is wiped
// before returning.
Result<SecretValue> RunCliSource(const std::vector<std::string>& argv,
                                 const ProcessEnv& env,
                                 std::chrono::milliseconds timeout,
                                 const CliDialect& dialect);

// True when `text` contains any of `needles`.
bool Mentions(const std::string& text,
              std::initializer_list<const char*> needles);

}  // namespace keyref::sources
