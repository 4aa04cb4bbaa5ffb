#include "keyref/process_env.h"

#include <sys/stat.h>
#include <unistd.h>

#include "keyref/secret_value.h"

extern char** environ;

namespace keyref {

std::shared_ptr<const ProcessEnv> ProcessEnv::Capture() {
  std::vector<std::string> entries;
  // Sized first: a vector that grows would move its short strings (kept
  // inside the string objects) and free the old copies unwiped.
  std::size_t n = 0;
  for (char** e = environ; e && *e; ++e) ++n;
  entries.reserve(n);
  for (char** e = environ; e && *e; ++e) entries.emplace_back(*e);
  return FromEntries(std::move(entries));
}

std::shared_ptr<const ProcessEnv> ProcessEnv::FromEntries(
    std::vector<std::string> entries) {
  return std::shared_ptr<const ProcessEnv>(new ProcessEnv(std::move(entries)));
}

ProcessEnv::ProcessEnv(std::vector<std::string> entries)
    : entries_(std::move(entries)) {
  ptrs_.reserve(entries_.size() + 1);
  for (std::string& e : entries_) ptrs_.push_back(e.data());
  ptrs_.push_back(nullptr);
}

ProcessEnv::~ProcessEnv() {
  for (std::string& e : entries_) SecureZero(e.data(), e.size());
}

const char* ProcessEnv::Get(std::string_view name) const noexcept {
  if (name.empty() || name.find('=') != std::string_view::npos) return nullptr;
  // The first entry wins, as getenv() has it.
  for (const std::string& e : entries_) {
    if (e.size() > name.size() && e[name.size()] == '=' &&
        std::string_view(e).substr(0, name.size()) == name) {
      return e.c_str() + name.size() + 1;
    }
  }
  return nullptr;
}

std::string FindOnPath(const std::string& program, const ProcessEnv& env) {
  if (program.empty()) return {};
  if (program.find('/') != std::string::npos) return program;
  const char* path = env.Get("PATH");
  const std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= dirs.size()) {
    std::size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    const std::string dir = dirs.substr(start, end - start);
    start = end + 1;
    if (dir.empty() || dir[0] != '/') continue;  // never the current folder
    const std::string file = dir + "/" + program;
    struct stat sb;
    if (stat(file.c_str(), &sb) == 0 && S_ISREG(sb.st_mode) &&
        access(file.c_str(), X_OK) == 0) {
      return file;
    }
  }
  return {};
}

}  // namespace keyref
