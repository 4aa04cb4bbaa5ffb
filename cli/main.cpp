// keyref: manage keys, backends and profiles from a terminal. This file
// holds what every command shares: dispatch, argument parsing, --help,
// output and exit codes. One file per command group does the work
// (secret_cmd.cpp, backend_cmd.cpp, check_cmd.cpp, profile_cmd.cpp,
// migrate_cmd.cpp). docs/cli.md is the reference.
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <iostream>

#include "cli.h"
#include "keyref/credential_shape.h"
#include "keyref/secret_value.h"

namespace keyref::cli {
namespace {

const char kVersion[] = "0.1.0";

const char kMainHelp[] =
    "keyref: API keys by reference, from a terminal.\n"
    "\n"
    "Keys are typed at an echo-off prompt (or piped with --stdin) and go\n"
    "straight into the chosen backend; profiles hold only a reference\n"
    "(apiKeyRef), never the key.\n"
    "\n"
    "Global options: --json (one JSON document on stdout; shapes in\n"
    "schemas/cli-output.schema.json), --help (on any command), --version.\n"
    "Exit codes: 0 ok, 1 failed, 2 usage, 3 invalid ref or profile, 4 not\n"
    "found, 5 backend unavailable/locked/denied/timeout, 6 refused for\n"
    "safety, 7 key not bound to the profile's origin, 130 interrupted.\n"
    "See docs/cli.md.\n";

void PrintMainHelp(const std::vector<Command>& cmds) {
  std::string out = std::string(kMainHelp) + "\nCommands:\n";
  for (const Command& c : cmds) {
    out += "  keyref " + c.usage + "\n      " + c.summary + "\n";
  }
  std::fputs(out.c_str(), stdout);
}

void PrintCommandHelp(const Command& c) {
  std::string out = "Usage: keyref " + c.usage + "\n\n" + c.summary + "\n";
  if (!c.help.empty()) out += "\n" + c.help;
  out +=
      "\nEvery command takes --json and --help; exit codes: keyref --help.\n";
  std::fputs(out.c_str(), stdout);
}

int Run(int argc, char** argv) {
  std::vector<Command> cmds;
  AddSecretCommands(&cmds);
  AddBackendCommands(&cmds);
  AddCheckCommands(&cmds);
  AddProfileCommands(&cmds);
  AddMigrateCommands(&cmds);

  Context ctx;
  ctx.argc = argc;
  ctx.argv = argv;
  std::vector<std::string> words;
  bool help = false;
  for (int i = 1; i < argc; ++i) {
    std::string w = argv[i];
    if (w == "--json") {
      ctx.json = true;
    } else if (w == "--help" || w == "-h") {
      help = true;
    } else {
      words.push_back(std::move(w));
    }
  }
  if (!words.empty() && words[0] == "--version") {
    PrintResult(ctx, Json{{"ok", true}, {"version", kVersion}},
                std::string("keyref ") + kVersion + "\n");
    return kExitOk;
  }
  if (words.empty() || (words.size() == 1 && words[0] == "help")) {
    if (!help && words.empty()) {
      PrintMainHelp(cmds);
      return ctx.json ? Report(ctx, Usage("No command given.")) : kExitUsage;
    }
    PrintMainHelp(cmds);
    return kExitOk;
  }
  // Find the command: "GROUP NAME" first, then "NAME".
  const Command* cmd = nullptr;
  std::size_t used = 0;
  for (const Command& c : cmds) {
    if (!c.group.empty() && words.size() >= 2 && words[0] == c.group &&
        words[1] == c.name) {
      cmd = &c;
      used = 2;
    }
  }
  for (const Command& c : cmds) {
    if (!cmd && c.group.empty() && words[0] == c.name) {
      cmd = &c;
      used = 1;
    }
  }
  if (!cmd) {
    // `keyref secret --help` lists the group's commands.
    bool group = false;
    std::string list;
    for (const Command& c : cmds) {
      if (c.group == words[0]) {
        group = true;
        list += "  keyref " + c.usage + "\n      " + c.summary + "\n";
      }
    }
    if (group && (help || words.size() == 1)) {
      std::fputs(("Commands:\n" + list).c_str(), stdout);
      return help ? kExitOk : kExitUsage;
    }
    return Report(ctx, Usage("Unknown command: " + ShownArg(ctx, words[0]) +
                                 (words.size() > 1 && group
                                      ? " " + ShownArg(ctx, words[1])
                                      : std::string()) +
                                 ".",
                             "Run keyref --help for the list of commands."));
  }
  if (help) {
    PrintCommandHelp(*cmd);
    return kExitOk;
  }
  Args args;
  CliError err;
  words.erase(words.begin(), words.begin() + static_cast<long>(used));
  if (!ParseArgs(words, cmd->spec, &args, &err)) {
    err.hint = "Usage: keyref " + cmd->usage;
    return Report(ctx, err);
  }
  ctx.config_path = ConfigPath();
  Result<Config> config = LoadConfig(ctx.config_path);
  if (!config.ok()) return Report(ctx, FromCore(config.error()));
  ctx.config = std::move(config).value();
  return cmd->run(ctx, args);
}

}  // namespace

std::string Args::Get(const std::string& name,
                      const std::string& fallback) const {
  auto it = options.find(name);
  return it == options.end() || it->second.empty() ? fallback
                                                   : it->second.back();
}

const std::vector<std::string>& Args::All(const std::string& name) const {
  static const std::vector<std::string> kNone;
  auto it = options.find(name);
  return it == options.end() ? kNone : it->second;
}

bool ParseArgs(const std::vector<std::string>& words, const ArgSpec& spec,
               Args* out, CliError* err) {
  auto known = [](const std::vector<std::string>& list, const std::string& w) {
    for (const std::string& s : list) {
      if (s == w) return true;
    }
    return false;
  };
  bool only_positional = false;
  for (std::size_t i = 0; i < words.size(); ++i) {
    std::string w = words[i];
    if (!only_positional && w == "--") {
      only_positional = true;
      continue;
    }
    if (!only_positional && w.size() > 1 && w[0] == '-') {
      std::string value;
      bool has_value = false;
      if (std::size_t eq = w.find('='); eq != std::string::npos) {
        value = w.substr(eq + 1);
        w = w.substr(0, eq);
        has_value = true;
      }
      if (known(spec.flags, w) && !has_value) {
        out->flags.insert(w);
        continue;
      }
      if (known(spec.options, w)) {
        if (!has_value) {
          if (i + 1 >= words.size()) {
            *err = Usage("The option " + w + " needs a value.");
            return false;
          }
          value = words[++i];
        }
        out->options[w].push_back(value);
        continue;
      }
      // The word is not echoed: it could be a key typed in the wrong place.
      *err = Usage("Unknown option (argument " + std::to_string(i + 1) + ").");
      return false;
    }
    out->positional.push_back(w);
  }
  if (out->positional.size() < spec.min_positional) {
    *err = Usage("Missing argument.");
    return false;
  }
  if (out->positional.size() > spec.max_positional) {
    *err = Usage("Too many arguments.");
    return false;
  }
  return true;
}

int ExitFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk:
      return kExitOk;
    case ErrorCode::kRefEmpty:
    case ErrorCode::kRefLiteralSecret:
    case ErrorCode::kRefTooLong:
    case ErrorCode::kRefBadChar:
    case ErrorCode::kRefNoScheme:
    case ErrorCode::kRefUnknownScheme:
    case ErrorCode::kRefSchemeDisabled:
    case ErrorCode::kRefBadName:
    case ErrorCode::kProfileContainsSecret:
    case ErrorCode::kProfileInvalid:
    case ErrorCode::kBadBaseUrl:
    case ErrorCode::kBadOrigin:
      return kExitInvalid;
    case ErrorCode::kKeyOriginDenied:
    case ErrorCode::kKeyOriginUnbound:
      return kExitOrigin;
    case ErrorCode::kSecretNotFound:
      return kExitNotFound;
    case ErrorCode::kSourceUnavailable:
    case ErrorCode::kSourceLocked:
    case ErrorCode::kSourceDenied:
    case ErrorCode::kSourceTimeout:
      return kExitBackend;
    case ErrorCode::kSecretMalformed:
      return kExitRefused;
    default:
      return kExitFailed;
  }
}

CliError FromCore(const Error& e) {
  return CliError{ErrorCodeName(e.code), e.message, e.hint, ExitFor(e.code)};
}

CliError Usage(const std::string& message, const std::string& hint) {
  return CliError{kCodeUsage, message, hint, kExitUsage};
}

Json ErrorJson(const CliError& err) {
  Json e = {{"code", err.code}, {"message", err.message}};
  if (!err.hint.empty()) e["hint"] = err.hint;
  return e;
}

namespace {

// Text for a terminal: control bytes other than line feed and tab (ESC above
// all) shown as \xNN. A file name or id may hold any byte, and printed raw
// "x\e]0;...\a\e[2J.json" would retitle or clear the user's terminal.
// (JSON output escapes them already.)
std::string ForTerminal(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) {
      static const char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += ch;
    }
  }
  return out;
}

}  // namespace

void PrintResult(const Context& ctx, const Json& body,
                 const std::string& text) {
  const std::string out = ctx.json ? body.dump(2) + "\n" : ForTerminal(text);
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
}

int Report(const Context& ctx, const CliError& err) {
  if (ctx.json) {
    PrintResult(ctx, Json{{"ok", false}, {"error", ErrorJson(err)}}, "");
  } else {
    std::string line = "keyref: " + err.code + ": " + err.message + "\n";
    if (!err.hint.empty()) line += "  hint: " + err.hint + "\n";
    line = ForTerminal(line);
    std::fwrite(line.data(), 1, line.size(), stderr);
  }
  return err.exit;
}

void Warn(const std::string& text) {
  const std::string line = ForTerminal("keyref: warning: " + text + "\n");
  std::fwrite(line.data(), 1, line.size(), stderr);
}

bool ArgLooksLikeKey(std::string_view word, const Redactor* live) {
  return FirstCredentialShape(word) != CredentialFamily::kNone ||
         (live && live->Contains(word));
}

namespace {

// Where `word` sits in argv word `a`: the whole word, or the value of an
// "--option=word" form (ParseArgs reads both). nullptr when it is neither.
char* ArgValue(char* a, const std::string& word) {
  if (word == a) return a;
  if (a[0] == '-' && a[1] == '-') {
    if (char* eq = std::strchr(a, '='); eq && word == eq + 1) return eq + 1;
  }
  return nullptr;
}

}  // namespace

std::string HiddenArg(Context& ctx, const std::string& word) {
  std::string where = "an argument";
  for (int i = 1; i < ctx.argc; ++i) {
    if (ArgValue(ctx.argv[i], word)) {
      where = "argument " + std::to_string(i);
      break;
    }
  }
  WipeArg(ctx, word);
  return where + " (not shown: it looks like a key)";
}

std::string ShownArg(Context& ctx, const std::string& word,
                     const Redactor* live) {
  return ArgLooksLikeKey(word, live) ? HiddenArg(ctx, word) : word;
}

CliError KeyAsPath(Context& ctx, const std::string& path) {
  return Usage("The path, " + HiddenArg(ctx, path) + ", was not used.",
               "Give the profile file or folder. If a key was typed on a "
               "command line, rotate it (shell history).");
}

void WipeArg(Context& ctx, const std::string& word) {
  for (int i = 1; i < ctx.argc; ++i) {
    if (char* v = ArgValue(ctx.argv[i], word)) SecureZero(v, std::strlen(v));
  }
}

bool UpdateConfigOrReport(Context& ctx,
                          const std::function<void(Config*)>& change,
                          int* exit_status) {
  Status st = UpdateConfig(ctx.config_path, change, &ctx.config);
  if (!st) *exit_status = Report(ctx, FromCore(st.error()));
  return st.ok();
}

std::string NowUtc() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace keyref::cli

int main(int argc, char** argv) {
  try {
    return keyref::cli::Run(argc, argv);
  } catch (const std::exception&) {
    // An exception's text is not shown: it could quote input.
    std::fputs("keyref: INTERNAL: unexpected failure.\n", stderr);
    return keyref::cli::kExitFailed;
  }
}
