// Secret sources: one interface, one implementation per apiKeyRef scheme
// (native/src/sources/<scheme>_source.cpp), and a factory. docs/sources.md
// describes each source, its codes and its hints.
//
// A source's only output that holds a secret is a SecretValue. Errors name
// the ref's parts and the source, never a value.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "keyref/error.h"
#include "keyref/process_env.h"
#include "keyref/ref.h"
#include "keyref/secret_value.h"

namespace keyref {

class Logger;

// Whether a source can be used right now (the `status()` of the Node API).
struct SourceProbe {
  bool available = false;
  // One line saying why not (empty when available). Never a value.
  std::string reason;
};

// The host's secret store (`secret:`): VS Code's `context.secrets` or any
// object shaped like it. The core only sees this interface; the addon
// implements it by calling the JS object on the JS thread. Every call blocks
// the calling (worker) thread for at most `timeout`.
class HostSecretStore {
 public:
  virtual ~HostSecretStore() = default;
  // SECRET_NOT_FOUND when the store has no such key.
  virtual Result<SecretValue> Get(const std::string& key,
                                  std::chrono::milliseconds timeout) = 0;
  virtual Status Store(const std::string& key, const SecretValue& value,
                       std::chrono::milliseconds timeout) = 0;
  virtual Status Delete(const std::string& key,
                        std::chrono::milliseconds timeout) = 0;
};

// What the factory needs to build a source. Copied from the Policy.
struct SourceConfig {
  std::string plaintext_file;   // file: (empty = the default path)
  std::string keyring_service;  // keyring: service for keyring:ACCOUNT
  std::chrono::milliseconds timeout{10000};
  std::string op_program = "op";          // looked up on PATH
  std::string pass_program = "pass";      // looked up on PATH
  std::shared_ptr<HostSecretStore> host;  // secret: (may be null)
  Logger* logger = nullptr;               // may be null
  // The environment the sources read (env: values, HOME, PATH, the
  // environment op and pass run with), captured on the thread that made
  // the instance: sources run on workers, where getenv() would race with
  // setenv() (process_env.h). Null: captured when the source is made.
  std::shared_ptr<const ProcessEnv> env;
};

// One secret source. Implementations are thread-safe: the instance calls
// them from several worker threads at once. Every call may block.
class SecretSource {
 public:
  virtual ~SecretSource() = default;

  virtual Scheme scheme() const noexcept = 0;

  // Looks the ref up. The value is not yet validated (the instance runs
  // ValidateSecretValue). Never returns SECRET_NOT_FOUND for a failure that
  // is not a missing entry.
  virtual Result<SecretValue> Resolve(const ParsedRef& ref) = 0;

  // Writes / removes an entry. Read-only sources return SOURCE_DENIED.
  // Delete of a missing entry succeeds (like VS Code's secrets.delete).
  virtual Status Store(const ParsedRef& ref, const SecretValue& value);
  virtual Status Delete(const ParsedRef& ref);

  // Whether the source is reachable now. May block briefly (D-Bus).
  virtual SourceProbe Probe() = 0;
};

// Makes the source for `scheme`.
std::unique_ptr<SecretSource> MakeSource(Scheme scheme,
                                         const SourceConfig& config);

// The file: source's path for a policy value ("" = the default).
std::string PlaintextFilePath(const std::string& configured,
                              const ProcessEnv& env);

}  // namespace keyref
