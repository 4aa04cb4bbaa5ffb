// The process environment as it was when captured: what keyref's worker
// threads read instead of getenv() and environ.
//
// getenv() is not safe while another thread calls setenv(): glibc before
// 2.40 may free the array getenv() is walking when a variable is added, and
// JavaScript's `process.env.X = …` runs setenv() on the JS thread at any
// time. So an instance captures the environment once, on the thread that
// creates it (the JS thread, in the addon), and everything that runs on a
// worker reads that copy: env: refs, the TLS trust variables, the file and
// pass sources' folders, PATH and the environment op and pass are started
// with (docs/requests.md, "The environment").
//
// The copy may hold keys (env:NAME refs name them): it is wiped when the
// last holder lets go.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace keyref {

class ProcessEnv {
 public:
  // Reads environ. Call it where nothing changes the environment meanwhile
  // (the JS thread, or a single-threaded program).
  static std::shared_ptr<const ProcessEnv> Capture();
  // An environment of the given "NAME=value" entries (tests).
  static std::shared_ptr<const ProcessEnv> FromEntries(
      std::vector<std::string> entries);

  ~ProcessEnv();
  ProcessEnv(const ProcessEnv&) = delete;
  ProcessEnv& operator=(const ProcessEnv&) = delete;

  // The value of `name`, or nullptr when it is not set. Valid as long as
  // this object is.
  const char* Get(std::string_view name) const noexcept;
  // The entries as an envp array (null-terminated), for posix_spawn.
  char* const* envp() const noexcept { return ptrs_.data(); }

 private:
  explicit ProcessEnv(std::vector<std::string> entries);
  std::vector<std::string> entries_;
  std::vector<char*> ptrs_;
};

// The executable `program` names: itself when it holds '/', else the first
// regular executable file of that name in env's PATH (when PATH is unset:
// /usr/local/bin:/usr/bin:/bin); empty when there is none. Only absolute
// PATH entries are searched: an empty entry (which execvp reads as the
// current folder) or a relative one would start a program of that name
// from wherever the editor or the CLI runs, a workspace anyone may have
// filled, with the whole environment, keys included.
std::string FindOnPath(const std::string& program, const ProcessEnv& env);

}  // namespace keyref
