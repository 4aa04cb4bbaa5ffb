#include "keyref/process_env.h"

#include "keyref/secret_value.h"

extern char** environ;

namespace keyref {

std::shared_ptr<const ProcessEnv> ProcessEnv::Capture() {
  std::vector<std::string> entries;
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

}  // namespace keyref
