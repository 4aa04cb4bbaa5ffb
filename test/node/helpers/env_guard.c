/* An LD_PRELOAD guard for test/node/env_threads.test.js: reports every
 * getenv(), secure_getenv(), posix_spawnp() and posix_spawn() with environ
 * that keyref's own code (the addon, found by the caller's address) makes on
 * a thread other than the process's main thread, where JavaScript runs and
 * may call setenv() (process.env.X = ...). Reports go to the file named by
 * KEYREF_ENV_GUARD_OUT, read once on the main thread at load time. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

extern char** environ;
static int out_fd = -1;
typedef int (*spawn_fn)(pid_t*, const char*, const posix_spawn_file_actions_t*,
                        const posix_spawnattr_t*, char* const[], char* const[]);
/* Looked up once, at load, on the main thread: dlsym() in a hook could wait
 * on the loader's lock. */
static char* (*real_getenv)(const char*);
static char* (*real_secure_getenv)(const char*);
static spawn_fn real_spawnp;
static spawn_fn real_spawn;

__attribute__((constructor)) static void init(void) {
  real_getenv = (char* (*)(const char*))dlsym(RTLD_NEXT, "getenv");
  real_secure_getenv = (char* (*)(const char*))dlsym(RTLD_NEXT, "secure_getenv");
  real_spawnp = (spawn_fn)dlsym(RTLD_NEXT, "posix_spawnp");
  real_spawn = (spawn_fn)dlsym(RTLD_NEXT, "posix_spawn");
  const char* path = real_getenv ? real_getenv("KEYREF_ENV_GUARD_OUT") : NULL;
  if (path) out_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
}

static void note(const char* what, const char* name, void* caller) {
  if (out_fd < 0 || syscall(SYS_gettid) == getpid()) return;
  Dl_info info;
  if (!dladdr(caller, &info) || !info.dli_fname || !strstr(info.dli_fname, "keyref")) return;
  char line[512];
  int n = snprintf(line, sizeof line, "%s %s from %s\n", what, name ? name : "-", info.dli_fname);
  if (n > 0) (void)!write(out_fd, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

char* getenv(const char* name) {
  note("getenv", name, __builtin_return_address(0));
  return real_getenv(name);
}

char* secure_getenv(const char* name) {
  note("secure_getenv", name, __builtin_return_address(0));
  return real_secure_getenv(name);
}

int posix_spawnp(pid_t* pid, const char* file, const posix_spawn_file_actions_t* fa,
                 const posix_spawnattr_t* attr, char* const argv[], char* const envp[]) {
  note("posix_spawnp", file, __builtin_return_address(0));
  return real_spawnp(pid, file, fa, attr, argv, envp);
}

int posix_spawn(pid_t* pid, const char* path, const posix_spawn_file_actions_t* fa,
                const posix_spawnattr_t* attr, char* const argv[], char* const envp[]) {
  if (envp == environ) note("posix_spawn(environ)", path, __builtin_return_address(0));
  return real_spawn(pid, path, fa, attr, argv, envp);
}
