#include "keyref/temp_file.h"

#include <dirent.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

namespace keyref {

std::string TempPrefixFor(const std::string& target) {
  return target + ".tmp-" + std::to_string(getpid()) + "-";
}

namespace {

// Removes the temporaries of `target` for which `gone(pid)` is true.
template <typename Gone>
void RemoveTemps(const std::string& target, const Gone& gone) noexcept {
  try {
    std::size_t slash = target.find_last_of('/');
    std::string dir =
        slash == std::string::npos ? "." : target.substr(0, slash);
    if (dir.empty()) dir = "/";
    std::string base =
        (slash == std::string::npos ? target : target.substr(slash + 1)) +
        ".tmp-";
    DIR* d = opendir(dir.c_str());
    if (!d) return;
    while (dirent* e = readdir(d)) {
      std::string name = e->d_name;
      if (name.compare(0, base.size(), base) != 0) continue;
      char* end = nullptr;
      long pid = std::strtol(name.c_str() + base.size(), &end, 10);
      if (pid <= 0 || !end || *end != '-') continue;
      if (!gone(static_cast<pid_t>(pid))) continue;
      unlinkat(dirfd(d), name.c_str(), 0);
    }
    closedir(d);
  } catch (...) {
    // Allocation failure: nothing removed, nothing lost.
  }
}

}  // namespace

void RemoveDeadWritersTemps(const std::string& target) noexcept {
  // ESRCH: no such process. EPERM means it runs (as someone else).
  RemoveTemps(target,
              [](pid_t pid) { return kill(pid, 0) != 0 && errno == ESRCH; });
}

void RemoveTempsUnderLock(const std::string& target) noexcept {
  RemoveTemps(target, [](pid_t) { return true; });
}

}  // namespace keyref
