#include "sources/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace keyref::sources {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::size_t kMaxStderr = 8192;

int RemainingMs(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - Clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

// Kills the child's whole group (pass runs gpg) and reaps it.
void KillAndReap(pid_t pid) {
  kill(-pid, SIGKILL);
  kill(pid, SIGKILL);
  int st = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
}

int DecodeStatus(int st) {
  if (WIFEXITED(st)) return WEXITSTATUS(st);
  if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
  return -1;
}

}  // namespace

std::string FindProgram(const std::string& program, const ProcessEnv& env) {
  return FindOnPath(program, env);
}

bool ProgramOnPath(const std::string& program, const ProcessEnv& env) {
  const std::string file = FindProgram(program, env);
  return !file.empty() && access(file.c_str(), X_OK) == 0;
}

ChildResult RunChild(const std::vector<std::string>& argv,
                     const ProcessEnv& env, std::chrono::milliseconds timeout,
                     std::size_t max_stdout) {
  ChildResult r;
  const Clock::time_point deadline = Clock::now() + timeout;
  const std::string program = FindProgram(argv.at(0), env);
  if (program.empty()) {
    r.spawn_errno = ENOENT;
    r.outcome = ChildResult::Outcome::kNotFound;
    return r;
  }
  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) {
    r.spawn_errno = errno;
    return r;
  }
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    r.spawn_errno = errno;
    close(out_pipe[0]);
    close(out_pipe[1]);
    return r;
  }

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err_pipe[1], 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // Own process group, so a timeout kills gpg too. Default signal
  // dispositions and an empty mask: Node ignores SIGPIPE, and an ignored
  // signal would otherwise be inherited across exec.
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  for (int sig : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD}) {
    sigaddset(&defaults, sig);
  }
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP |
                                      POSIX_SPAWN_SETSIGMASK |
                                      POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> cargv;
  cargv.reserve(argv.size() + 1);
  for (const std::string& a : argv)
    cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);

  pid_t pid = -1;
  // posix_spawn, not posix_spawnp: PATH was looked up in the captured
  // environment above (posix_spawnp would read PATH with getenv, and
  // environ is what JS may be changing). glibc reports exec failure (ENOENT
  // when the program is missing) as the return value.
  int rc =
      posix_spawn(&pid, program.c_str(), &fa, &attr, cargv.data(), env.envp());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (rc != 0) {
    close(out_pipe[0]);
    close(err_pipe[0]);
    r.spawn_errno = rc;
    r.outcome = (rc == ENOENT || rc == ENOTDIR)
                    ? ChildResult::Outcome::kNotFound
                    : ChildResult::Outcome::kSpawnFailed;
    return r;
  }

  // Reserved once, so appending never leaves an unwiped older copy of what
  // stderr echoed in freed memory.
  r.err.reserve(kMaxStderr);
  // The buffer passes the child's stdout (the secret) on to r.out; it is
  // wiped after every read.
  char buf[4096];
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  int open_fds = 2;
  bool killed = false;
  while (open_fds > 0) {
    int ms = RemainingMs(deadline);
    if (ms == 0) {
      r.outcome = ChildResult::Outcome::kTimedOut;
      killed = true;
      break;
    }
    int n = poll(fds, 2, ms);
    if (n < 0) {
      if (errno == EINTR) continue;
      killed = true;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) {
        continue;
      }
      ssize_t got = read(fds[i].fd, buf, sizeof buf);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
        continue;
      }
      if (i == 0) {
        if (r.out.size() + static_cast<std::size_t>(got) > max_stdout) {
          r.outcome = ChildResult::Outcome::kTooLarge;
          killed = true;
        } else {
          r.out.Append(buf, static_cast<std::size_t>(got));
        }
      } else if (r.err.size() < kMaxStderr) {
        r.err.append(buf, std::min<std::size_t>(static_cast<std::size_t>(got),
                                                kMaxStderr - r.err.size()));
      }
      SecureZero(buf, sizeof buf);
    }
    if (killed) break;
  }
  for (pollfd& p : fds) {
    if (p.fd >= 0) close(p.fd);
  }
  if (killed) {
    KillAndReap(pid);
    if (r.outcome == ChildResult::Outcome::kSpawnFailed) {
      r.outcome = ChildResult::Outcome::kTimedOut;
    }
    r.out.Wipe();
    return r;
  }
  // Both pipes closed: the child is normally gone; still bound the wait.
  int st = 0;
  for (;;) {
    pid_t w = waitpid(pid, &st, WNOHANG);
    if (w == pid) break;
    if (w < 0 && errno != EINTR) break;
    if (RemainingMs(deadline) == 0) {
      KillAndReap(pid);
      r.out.Wipe();
      r.outcome = ChildResult::Outcome::kTimedOut;
      return r;
    }
    usleep(1000);
  }
  r.outcome = ChildResult::Outcome::kExited;
  r.exit_status = DecodeStatus(st);
  return r;
}

}  // namespace keyref::sources
