// Profile files in the ProfileStore's format (docs/profiles.md,
// schemas/llm-profile.schema.json, addon/ts/profiles.ts): one
// `<dir>/<id>.json` per profile, pretty-printed, mode 0600 in a 0700
// folder, every write atomic (a `.<name>.<pid>.<random>.tmp` file, fsync,
// rename, fsync of the folder) and made holding flock(2) on
// `<dir>/.keyref-profiles.lock`, so the CLI and an extension host
// serialise.
//
// A legacy profile may hold a literal key (`apiKey`), so files are read
// into locked memory and parsed into ProfileJson, whose strings live in
// memory that is wiped when freed (WipingAllocator). A parse error's text
// is never used (nlohmann quotes the last token read).
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "keyref/error.h"
#include "keyref/file_lock.h"
#include "keyref/secret_value.h"

namespace keyref::cli {

// std::allocator that wipes memory before handing it back.
template <typename T>
struct WipingAllocator {
  using value_type = T;
  WipingAllocator() noexcept = default;
  template <typename U>
  WipingAllocator(const WipingAllocator<U>&) noexcept {}  // NOLINT
  T* allocate(std::size_t n) { return std::allocator<T>().allocate(n); }
  void deallocate(T* p, std::size_t n) noexcept {
    SecureZero(p, n * sizeof(T));
    std::allocator<T>().deallocate(p, n);
  }
  template <typename U>
  bool operator==(const WipingAllocator<U>&) const noexcept {
    return true;
  }
  template <typename U>
  bool operator!=(const WipingAllocator<U>&) const noexcept {
    return false;
  }
};

using WipedString =
    std::basic_string<char, std::char_traits<char>, WipingAllocator<char>>;
// JSON whose strings, arrays and objects are wiped when freed; object
// members keep their order (so a rewritten profile keeps its layout).
using ProfileJson =
    nlohmann::basic_json<nlohmann::ordered_map, std::vector, WipedString, bool,
                         std::int64_t, std::uint64_t, double, WipingAllocator>;

inline std::string Plain(const WipedString& s) { return {s.data(), s.size()}; }

// `^[A-Za-z0-9._-]{1,64}$`, as ProfileStore.
bool ValidProfileId(const std::string& id);

// The *.json files of `dir` that may be profiles, sorted (not the lock,
// temporary files or files set aside as `.invalid-…`).
std::vector<std::string> ProfileFilesIn(const std::string& dir);

// Reads and parses one profile file (at most 1 MiB). PROFILE_INVALID when it
// cannot be read or is not a JSON object.
Result<ProfileJson> ReadProfileFile(const std::string& path);

// The id a path's file name gives (`<id>.json`).
std::string IdOfFile(const std::string& path);

// Why a parsed profile is not usable, or an ok Status. Secret rules first
// (PROFILE_CONTAINS_SECRET: an apiKey field, a credential-shaped string
// anywhere), then the legacy field, then the basic shape (id matches the
// file name, required fields, apiKeyRef parses). Messages name fields and
// rules, never values.
Status ProfileProblem(const ProfileJson& p, const std::string& id);

// The folder's lock (an ExclusiveFileLock on .keyref-profiles.lock, the
// file ProfileStore locks too), held for the life of the object.
class DirLock {
 public:
  // Creates `dir` (0700) when missing, then waits up to 10 s for the lock
  // (SOURCE_TIMEOUT), and removes keyref's own temporary files a writer
  // that died left.
  static Result<std::unique_ptr<DirLock>> Take(const std::string& dir);

 private:
  explicit DirLock(std::unique_ptr<ExclusiveFileLock> lock)
      : lock_(std::move(lock)) {}
  std::unique_ptr<ExclusiveFileLock> lock_;
};

// Writes `<dir>/<id>.json` atomically with mode 0600. Hold the DirLock.
Status WriteProfileFile(const std::string& dir, const std::string& id,
                        const ProfileJson& profile);

}  // namespace keyref::cli
