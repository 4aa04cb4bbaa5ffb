/* Linked into the prebuilds only (scripts/prebuild.sh). glibc 2.33 made
   stat, fstat and lstat real functions; before, they were inline wrappers
   around __xstat, __fxstat and __lxstat, which every glibc still has.
   Debian 12's libcrypto.a (built against glibc 2.36) calls the real ones,
   which glibc 2.28 lacks, so these forward to the old entry points. Hidden:
   never exported, never seen by Node. docs/building.md */
#if defined(__x86_64__)
#define KEYREF_STAT_VER 1 /* _STAT_VER_LINUX */
#elif defined(__aarch64__)
#define KEYREF_STAT_VER 0 /* _STAT_VER_KERNEL */
#else
#error "glibc_compat.c: unknown architecture"
#endif

struct stat;
int __xstat(int ver, const char* path, struct stat* buf);
int __fxstat(int ver, int fd, struct stat* buf);
int __lxstat(int ver, const char* path, struct stat* buf);

__attribute__((visibility("hidden"))) int stat(const char* path,
                                               struct stat* buf) {
  return __xstat(KEYREF_STAT_VER, path, buf);
}

__attribute__((visibility("hidden"))) int fstat(int fd, struct stat* buf) {
  return __fxstat(KEYREF_STAT_VER, fd, buf);
}

__attribute__((visibility("hidden"))) int lstat(const char* path,
                                                struct stat* buf) {
  return __lxstat(KEYREF_STAT_VER, path, buf);
}
