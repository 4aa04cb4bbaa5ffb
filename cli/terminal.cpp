#include "terminal.h"

#include <fcntl.h>
#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace keyref::cli {
namespace {

constexpr std::size_t kMaxKey = 64 * 1024;

// The terminal state to restore if a signal arrives while echo is off.
// Signal handlers can only reach globals; this is the CLI's one, and it is
// process-wide by nature (there is one controlling terminal).
int g_tty_fd = -1;
struct termios g_saved;

extern "C" void RestoreAndExit(int sig) {
  // tcsetattr and write are async-signal-safe.
  if (g_tty_fd >= 0) {
    tcsetattr(g_tty_fd, TCSAFLUSH, &g_saved);
    (void)!write(g_tty_fd, "\n", 1);
  }
  _exit(128 + sig);
}

CliError NoTerminal() {
  return CliError{kCodeNoTerminal,
                  "There is no terminal to prompt on (no /dev/tty).",
                  "In a script, pipe the key in with --stdin "
                  "(printf '%s\\n' \"$KEY\" | keyref secret set NAME "
                  "--stdin), or run the command in a terminal.",
                  kExitRefused};
}

int OpenTty() { return open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC); }

void WriteAll(int fd, const std::string& s) {
  const char* p = s.data();
  std::size_t n = s.size();
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;
    p += w;
    n -= static_cast<std::size_t>(w);
  }
}

// Reads bytes up to a line break (not kept) or end of input into `out`.
// Returns false on a read error; `eof` says the input ended.
bool ReadLine(int fd, SecretValue* out, bool* too_long, bool* eof) {
  char c = 0;
  *eof = false;
  for (;;) {
    ssize_t n = read(fd, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    if (n == 0) {
      *eof = true;
      break;
    }
    if (c == '\n') break;
    if (out->size() >= kMaxKey) {
      *too_long = true;
      continue;
    }
    out->Append(&c, 1);
  }
  SecureZero(&c, sizeof c);
  // A CRLF line end (a key pasted from Windows) loses its CR too.
  if (!out->empty() && out->Reveal().back() == '\r') {
    out->Truncate(out->size() - 1);
  }
  return true;
}

}  // namespace

bool PromptSecret(const std::string& prompt, SecretValue* out, CliError* err) {
  int fd = OpenTty();
  if (fd < 0) {
    *err = NoTerminal();
    return false;
  }
  struct termios saved;
  if (tcgetattr(fd, &saved) != 0) {
    close(fd);
    *err = NoTerminal();
    return false;
  }
  struct termios quiet = saved;
  // Echo off; the line discipline still handles backspace (ICANON stays).
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO | ECHOE | ECHOK);
  quiet.c_lflag |= ECHONL;
  g_saved = saved;
  g_tty_fd = fd;
  struct sigaction sa {};
  sa.sa_handler = RestoreAndExit;
  sigemptyset(&sa.sa_mask);
  struct sigaction old_int, old_term, old_hup, old_quit;
  sigaction(SIGINT, &sa, &old_int);
  sigaction(SIGTERM, &sa, &old_term);
  sigaction(SIGHUP, &sa, &old_hup);
  sigaction(SIGQUIT, &sa, &old_quit);
  WriteAll(fd, prompt);
  bool ok = tcsetattr(fd, TCSAFLUSH, &quiet) == 0;
  bool too_long = false;
  bool eof = false;
  ok = ok && ReadLine(fd, out, &too_long, &eof);
  tcsetattr(fd, TCSAFLUSH, &saved);
  g_tty_fd = -1;
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  sigaction(SIGHUP, &old_hup, nullptr);
  sigaction(SIGQUIT, &old_quit, nullptr);
  close(fd);
  if (!ok) {
    out->Wipe();
    *err = NoTerminal();
    return false;
  }
  if (too_long) {
    out->Wipe();
    *err = CliError{"SECRET_MALFORMED",
                    "The key typed is longer than 64 KiB; nothing was stored.",
                    "Paste the API key itself.", kExitRefused};
    return false;
  }
  return true;
}

bool ReadSecretFromStdin(SecretValue* out, CliError* err) {
  bool too_long = false;
  bool eof = false;
  if (!ReadLine(STDIN_FILENO, out, &too_long, &eof)) {
    *err = CliError{"INTERNAL", "Reading the key from stdin failed.",
                    "Pipe the key in: printf '%s\\n' \"$KEY\" | keyref "
                    "secret set NAME --stdin",
                    kExitFailed};
    return false;
  }
  // Anything after the first line other than blank lines is refused: a
  // whole file piped in by mistake must not be stored as a key.
  bool extra = false;
  while (!eof) {
    SecretValue rest;
    bool rest_long = false;
    if (!ReadLine(STDIN_FILENO, &rest, &rest_long, &eof)) break;
    if (!rest.empty() || rest_long) extra = true;
  }
  if (too_long || extra) {
    out->Wipe();
    *err = CliError{"SECRET_MALFORMED",
                    too_long ? "The key on stdin is longer than 64 KiB; "
                               "nothing was stored."
                             : "stdin holds more than one line; nothing was "
                               "stored.",
                    "Pipe exactly one line: the key.", kExitRefused};
    return false;
  }
  return true;
}

bool Confirm(const std::string& question, bool* yes, CliError* err) {
  int fd = OpenTty();
  if (fd < 0) {
    *err = NoTerminal();
    err->hint = "Pass --yes to answer yes in a script.";
    return false;
  }
  WriteAll(fd, question + " [y/N] ");
  std::string answer;
  char c = 0;
  for (;;) {
    ssize_t n = read(fd, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 || c == '\n') break;
    if (answer.size() < 16) answer.push_back(c);
  }
  close(fd);
  *yes = answer == "y" || answer == "Y" || answer == "yes" || answer == "YES";
  return true;
}

bool StdoutIsTerminal() { return isatty(STDOUT_FILENO) == 1; }

}  // namespace keyref::cli
