// Talking to the person at the terminal: the echo-off key prompt, reading a
// key from stdin for scripts, yes/no questions. Keys are read straight into
// a SecretValue, one byte at a time through a stack byte that is wiped; they
// never pass through a std::string.
#pragma once

#include <string>

#include "cli.h"
#include "keyref/secret_value.h"

namespace keyref::cli {

// Prompts on /dev/tty with echo off and reads one line into a SecretValue.
// Without a controlling terminal it refuses (CLI_NO_TERMINAL) instead of
// reading stdin: a key must not be read from a pipe by accident. Ctrl-C
// restores the terminal and exits 130.
bool PromptSecret(const std::string& prompt, SecretValue* out, CliError* err);

// Reads one line from stdin (for scripts: `… | keyref secret set X
// --stdin`). The line break is dropped; more than one non-empty line is
// refused (SECRET_MALFORMED), as is an empty line.
bool ReadSecretFromStdin(SecretValue* out, CliError* err);

// Asks `question` on /dev/tty and returns the answer: true only for
// "y" or "yes". Without a terminal: CLI_NO_TERMINAL.
bool Confirm(const std::string& question, bool* yes, CliError* err);

// Whether stdout is a terminal.
bool StdoutIsTerminal();

}  // namespace keyref::cli
