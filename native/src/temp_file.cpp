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

void RemoveDeadWritersTemps(const std::string& target) noexcept {
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
      // ESRCH: no such process. EPERM means it runs (as someone else).
      if (kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;
      unlinkat(dirfd(d), name.c_str(), 0);
    }
    closedir(d);
  } catch (...) {
    // Allocation failure: nothing removed, nothing lost.
  }
}

}  // namespace keyref
