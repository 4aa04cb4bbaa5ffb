// The `keyref` command-line tool: what every command group shares.
// docs/cli.md is the reference for commands, JSON shapes and exit codes.
//
// The CLI links the native core directly (no Node): a key typed at the
// prompt goes from the terminal into a SecretValue and never into a
// std::string, a JSON document, argv or an error message.
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "config.h"
#include "keyref/error.h"
#include "keyref/redactor.h"

namespace keyref::cli {

using Json = nlohmann::ordered_json;

// Exit statuses (docs/cli.md, "Exit codes"). Stable: scripts test them.
enum Exit : int {
  kExitOk = 0,
  kExitFailed = 1,    // INTERNAL and anything not listed below
  kExitUsage = 2,     // bad arguments, unknown command (CLI_USAGE)
  kExitInvalid = 3,   // a ref or profile refused (REF_*, PROFILE_*)
  kExitNotFound = 4,  // SECRET_NOT_FOUND, CLI_PROFILE_NOT_FOUND
  kExitBackend = 5,   // SOURCE_UNAVAILABLE / LOCKED / DENIED / TIMEOUT
  kExitRefused = 6,   // a safety refusal (CLI_NO_TERMINAL, CLI_REFUSED,
                      // CLI_NOT_CONFIRMED, SECRET_MALFORMED)
  kExitOrigin = 7,    // KEY_ORIGIN_DENIED, KEY_ORIGIN_UNBOUND
  kExitInterrupted = 130,
};

// Codes only the CLI produces; the core's codes (ErrorCodeName) are used
// as they are. All are listed in docs/cli.md.
inline constexpr const char* kCodeUsage = "CLI_USAGE";
inline constexpr const char* kCodeNoTerminal = "CLI_NO_TERMINAL";
inline constexpr const char* kCodeRefused = "CLI_REFUSED";
inline constexpr const char* kCodeNotConfirmed = "CLI_NOT_CONFIRMED";
inline constexpr const char* kCodeProfileNotFound = "CLI_PROFILE_NOT_FOUND";

// An error as the CLI reports it: a code (core or CLI), a message and a
// hint. Like keyref::Error, neither text ever holds a secret value.
struct CliError {
  std::string code;
  std::string message;
  std::string hint;
  int exit = kExitFailed;
};

// From a core error; the exit status follows the code.
CliError FromCore(const Error& e);
int ExitFor(ErrorCode code);
CliError Usage(const std::string& message, const std::string& hint = {});

// Parsed command line of one command: positional words, flags and
// options (an option may repeat, e.g. --origin).
struct Args {
  std::vector<std::string> positional;
  std::set<std::string> flags;
  std::map<std::string, std::vector<std::string>> options;

  bool Has(const std::string& flag) const { return flags.count(flag) > 0; }
  // The option's last value, or `fallback`.
  std::string Get(const std::string& name,
                  const std::string& fallback = {}) const;
  const std::vector<std::string>& All(const std::string& name) const;
};

// What a command accepts besides --json and --help.
struct ArgSpec {
  std::vector<std::string> flags;    // e.g. "--stdin"
  std::vector<std::string> options;  // take a value, e.g. "--origin"
  std::size_t min_positional = 0;
  std::size_t max_positional = 0;  // SIZE_MAX for "any number"
};

// Everything a command runs with.
struct Context {
  bool json = false;
  std::string config_path;
  Config config;
  // argv as the process got it, so a command can wipe an argument that
  // turned out to be a key (see check_cmd.cpp).
  char** argv = nullptr;
  int argc = 0;
};

// Prints a command's result: the JSON document with --json, else `text`
// (already formatted) on stdout.
void PrintResult(const Context& ctx, const Json& body, const std::string& text);
// Reports an error (stdout JSON {"ok":false,"error":…} with --json, else
// "keyref: CODE: message" and the hint on stderr) and returns its exit.
int Report(const Context& ctx, const CliError& err);
// The JSON form of an error.
Json ErrorJson(const CliError& err);
// A warning on stderr (never on stdout, so --json output stays one
// document).
void Warn(const std::string& text);

// One command: `keyref GROUP NAME …` or `keyref NAME …` (empty group).
struct Command {
  std::string group;
  std::string name;
  std::string usage;    // one line, after "keyref "
  std::string summary;  // one line
  std::string help;     // the rest of --help
  ArgSpec spec;
  int (*run)(Context&, const Args&) = nullptr;
};

void AddSecretCommands(std::vector<Command>* out);
void AddBackendCommands(std::vector<Command>* out);
void AddCheckCommands(std::vector<Command>* out);
void AddProfileCommands(std::vector<Command>* out);
void AddMigrateCommands(std::vector<Command>* out);

// Parses argv[first…] against `spec`. --json and --help are handled by the
// caller.
bool ParseArgs(const std::vector<std::string>& words, const ArgSpec& spec,
               Args* out, CliError* err);

// Command-line words in messages. Every argument word a message echoes
// passes through ShownArg: docs/cli.md promises a key typed where a name
// belongs is never echoed.
//
// True when `word` holds a credential shape (FirstCredentialShape) or, with
// `live`, a secret that redactor holds (this process's resolved keys).
bool ArgLooksLikeKey(std::string_view word, const Redactor* live = nullptr);
// "argument N (not shown: it looks like a key)", N counting argv's words
// after "keyref", and wipes every argv word equal to `word` (WipeArg).
std::string HiddenArg(Context& ctx, const std::string& word);
// `word` itself, or HiddenArg(ctx, word) when ArgLooksLikeKey(word, live).
std::string ShownArg(Context& ctx, const std::string& word,
                     const Redactor* live = nullptr);
// The refusal of a PATH argument that looks like a key: it is not used
// (its files would be named in the output), and not shown.
CliError KeyAsPath(Context& ctx, const std::string& path);
// Overwrites every argv word equal to `word` with zero bytes, so
// /proc/PID/cmdline stops showing it (the shell's history still has it).
void WipeArg(Context& ctx, const std::string& word);

// Applies `change` to the user config as it is on disk now and saves it
// (UpdateConfig, config.h), then to ctx.config; reports a failure with the
// CLI's error shape. A command changes only what it means to change, so a
// keyref process saving at the same time keeps its own change.
bool UpdateConfigOrReport(Context& ctx,
                          const std::function<void(Config*)>& change,
                          int* exit_status);

// ISO 8601 UTC time, e.g. 2026-11-28T08:30:00Z.
std::string NowUtc();

}  // namespace keyref::cli
