// The CLI's user config: $XDG_CONFIG_HOME/keyref/config.json (or
// ~/.config/keyref/config.json), mode 0600 in a 0700 folder, written
// atomically. It holds names and refs only, never a value:
//
//   { "version": 1, "defaultBackend": "keyring", "fileBackend": false,
//     "profilesDir": "…", "activeProfile": "openrouter",
//     "secrets": { "openrouter": { "backend": "keyring",
//        "ref": "keyring:keyref/openrouter", "storedAt": "…Z" } } }
//
// Members keyref does not know are kept as they are.
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "keyref/error.h"

namespace keyref::cli {

// What the CLI recorded about a key it stored (`secret set`, `migrate`).
struct SecretRecord {
  std::string backend;    // keyring, file or pass
  std::string ref;        // the ref to put in a profile
  std::string stored_at;  // ISO 8601 UTC
};

struct Config {
  std::string default_backend = "keyring";
  // The plaintext file backend is opt-in (`keyref backend set file`).
  bool file_backend = false;
  std::string profiles_dir;  // empty: ConfigDir() + "/profiles"
  std::string active_profile;
  std::map<std::string, SecretRecord> secrets;
  nlohmann::ordered_json rest = nlohmann::ordered_json::object();
};

// $XDG_CONFIG_HOME/keyref, or ~/.config/keyref.
std::string ConfigDir();
std::string ConfigPath();
std::string ProfilesDir(const Config& config);

// A missing file is the default config. A file that is not a JSON object
// is INTERNAL, naming the path (never its content).
Result<Config> LoadConfig(const std::string& path);
// Reads the config again, applies `change` and writes it back atomically
// (mode 0600, the folder created 0700), all holding flock(2) on
// `<dir>/.config.json.lock`: two keyref processes saving at once each keep
// the other's change, where writing back a copy read at start dropped it.
// `*result` gets what was written.
Status UpdateConfig(const std::string& path,
                    const std::function<void(Config*)>& change, Config* result);

// Writes `data` to `path` atomically: a 0600 temporary file in the same
// folder (O_EXCL), fsync, rename over the target, fsync of the folder.
Status WriteFileAtomic(const std::string& path, const char* data,
                       std::size_t size);
// Creates `dir` (and parents) with mode 0700 when missing.
Status EnsurePrivateDir(const std::string& dir);

}  // namespace keyref::cli
