#include "process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "keyref/process_env.h"

extern char** environ;

namespace keyref::cli {

bool OnPath(const std::string& program) {
  // The sources' lookup: absolute PATH entries only (process_env.h).
  const std::string file = FindOnPath(program, *ProcessEnv::Capture());
  return !file.empty() && access(file.c_str(), X_OK) == 0;
}

RunResult RunProgram(const std::vector<std::string>& argv,
                     const SecretValue* input,
                     std::chrono::milliseconds timeout) {
  RunResult r;
  int in[2], errp[2];
  if (pipe2(in, O_CLOEXEC) != 0) return r;
  if (pipe2(errp, O_CLOEXEC) != 0) {
    close(in[0]);
    close(in[1]);
    return r;
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in[0], 0);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, errp[1], 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attr, 0);
  std::vector<char*> args;
  for (const std::string& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  // Looked up on absolute PATH entries only (process_env.h): a `pass` in
  // the folder the CLI runs from is never started. Not found: as if the
  // spawn failed with ENOENT.
  const std::string program = FindOnPath(argv.at(0), *ProcessEnv::Capture());
  int rc = program.empty() ? ENOENT
                           : posix_spawn(&pid, program.c_str(), &fa, &attr,
                                         args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  close(in[0]);
  close(errp[1]);
  if (rc != 0) {
    close(in[1]);
    close(errp[0]);
    return r;
  }
  r.started = true;
  // SIGPIPE if the child exits early must not kill the CLI.
  struct sigaction ign {
  }, old{};
  ign.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &ign, &old);
  // The input (the key and a newline, in locked memory) is written inside
  // the wait below, non-blocking, so the timeout covers it: a child that
  // never reads its stdin cannot hold the CLI once the input is larger
  // than the pipe's buffer.
  SecretValue payload;
  if (input) {
    payload = input->Clone();
    payload.Append("\n", 1);
  }
  std::string_view rest = payload.Reveal();
  bool in_open = !rest.empty();
  if (in_open) {
    fcntl(in[1], F_SETFL, fcntl(in[1], F_GETFL) | O_NONBLOCK);
  } else {
    close(in[1]);
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[512];
  int status = 0;
  bool reaped = false;
  bool err_open = true;
  // A grandchild (gpg-agent) may keep stderr open, so the child's exit, not
  // the end of stderr, ends the wait.
  while (!reaped) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    if (left <= 0) {
      kill(-pid, SIGKILL);
      r.timed_out = true;
      break;
    }
    struct pollfd pfd[2];
    nfds_t nfds = 0;
    if (in_open) pfd[nfds++] = {in[1], POLLOUT, 0};
    if (err_open) pfd[nfds++] = {errp[0], POLLIN, 0};
    if (nfds == 0) {
      usleep(20000);
    } else if (poll(pfd, nfds,
                    static_cast<int>(std::min<long long>(left, 50))) > 0) {
      for (nfds_t i = 0; i < nfds; ++i) {
        if (pfd[i].revents == 0) continue;
        if (pfd[i].fd == in[1]) {
          ssize_t n = write(in[1], rest.data(), rest.size());
          if (n > 0) rest.remove_prefix(static_cast<std::size_t>(n));
          if (rest.empty() || (n < 0 && errno != EAGAIN && errno != EINTR)) {
            close(in[1]);  // all written, or the child closed its end
            in_open = false;
          }
        } else {
          ssize_t got = read(errp[0], buf, sizeof buf);
          if (got == 0) err_open = false;
          if (got > 0 && r.err.size() < 4096) {
            r.err.append(buf, static_cast<std::size_t>(got));
          }
        }
      }
    }
    pid_t w = waitpid(pid, &status, WNOHANG);
    if (w == pid) reaped = true;
  }
  if (in_open) close(in[1]);
  sigaction(SIGPIPE, &old, nullptr);
  payload.Wipe();
  SecureZero(buf, sizeof buf);
  close(errp[0]);
  if (!reaped) {
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  r.exit_status =
      WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

}  // namespace keyref::cli
