// Helpers shared by the native tests: temp folders, random names, running
// helper commands, and FakeSource, the test double with error injection.
#pragma once

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>

#include "keyref/source.h"

namespace keyref::test {

// A fresh 0700 folder under $TMPDIR, removed (recursively) on destruction.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl =
        std::string(base && *base ? base : "/tmp") + "/keyref-test.XXXXXX";
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() { std::system(("rm -rf '" + path_ + "'").c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline std::string RandomName(const std::string& prefix) {
  static std::mt19937_64 rng(std::random_device{}());
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  return prefix + std::to_string(rng() % 1000000000000ULL);
}

inline void WriteFile(const std::string& path, const std::string& text,
                      mode_t mode) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
  chmod(path.c_str(), mode);
}

// Runs `sh -c cmd`; returns the exit status. Tests only: never in keyref.
inline int Sh(const std::string& cmd) {
  int st = std::system(cmd.c_str());
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

// Runs `sh -c cmd` and returns its stdout.
inline std::string ShOut(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  pclose(p);
  return out;
}

// The test double: a source backed by a map, with injectable errors and
// delay, counting calls.
class FakeSource final : public SecretSource {
 public:
  explicit FakeSource(Scheme scheme) : scheme_(scheme) {}

  Scheme scheme() const noexcept override { return scheme_; }

  Result<SecretValue> Resolve(const ParsedRef& ref) override {
    ++resolves;
    if (delay.count()) std::this_thread::sleep_for(delay);
    std::lock_guard<std::mutex> lock(mu_);
    if (fail != ErrorCode::kOk) return Error(fail, "injected", "hint");
    auto it = values_.find(ref.name);
    if (it == values_.end()) {
      return Error(ErrorCode::kSecretNotFound, "no " + ref.name, "hint");
    }
    return SecretValue::FromBytes(it->second.data(), it->second.size());
  }

  Status Store(const ParsedRef& ref, const SecretValue& value) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (fail != ErrorCode::kOk) return Error(fail, "injected", "hint");
    if (store_fail != ErrorCode::kOk) {
      return Error(store_fail, "injected", "hint");
    }
    values_[ref.name] = std::string(value.Reveal());
    return {};
  }

  Status Delete(const ParsedRef& ref) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (fail != ErrorCode::kOk) return Error(fail, "injected", "hint");
    values_.erase(ref.name);
    return {};
  }

  SourceProbe Probe() override {
    if (fail != ErrorCode::kOk) return {false, "injected"};
    return {true, {}};
  }

  void Set(const std::string& name, const std::string& value) {
    std::lock_guard<std::mutex> lock(mu_);
    values_[name] = value;
  }

  std::atomic<ErrorCode> fail{ErrorCode::kOk};
  std::atomic<ErrorCode> store_fail{ErrorCode::kOk};  // writes only
  std::chrono::milliseconds delay{0};
  std::atomic<int> resolves{0};

 private:
  Scheme scheme_;
  std::mutex mu_;
  std::map<std::string, std::string> values_;
};

}  // namespace keyref::test
