// One keyref instance: what a JS `new Sidecar(options)` owns in native code.
// It holds the policy, the redactor every output passes through, the logger,
// and (as later parts land) the secret sources, the resolver cache and the
// HTTP client. close() wipes everything it holds.
#pragma once

#include <chrono>
#include <string>

#include "keyref/http_client.h"
#include "keyref/live_secret.h"
#include "keyref/log.h"
#include "keyref/redactor.h"
#include "keyref/ref.h"

namespace keyref {

// The instance's policy, checked by the TypeScript layer before it arrives.
struct Policy {
  // Schemes a ref may use. op, pass and file are opt-in.
  SchemeSet allow = SchemeSet::Default();
  // file: the plaintext JSON secrets file; empty means
  // $XDG_CONFIG_HOME/keyref/secrets.json (or ~/.config/keyref/…).
  std::string plaintext_file;
  // keyring: the service used for keyring:ACCOUNT refs.
  std::string keyring_service = "keyref";
  // 0 = no cache. Cached values stay in SecretValue and are wiped on expiry.
  std::chrono::milliseconds cache_ttl{0};
  // How long one resolution (keyring, host store, op, pass) may take.
  std::chrono::milliseconds resolve_timeout{10000};
  // Exporting profiles with secrets also needs a confirm callback (issue 6).
  bool allow_secret_export = false;
  // Trace logs may include header values and bodies, always scrubbed
  // (options.policy.logBodies). Default false: trace describes requests
  // without them.
  bool log_bodies = false;
};

class Instance {
 public:
  explicit Instance(Policy policy);
  ~Instance();
  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;

  const Policy& policy() const noexcept { return policy_; }
  Redactor& redactor() noexcept { return redactor_; }
  const Redactor& redactor() const noexcept { return redactor_; }
  Logger& logger() noexcept { return logger_; }
  // The outbound request builder (issue 4): worker threads, connection pool.
  HttpClient& http() noexcept { return http_; }

  // Resolves a validated ref to its secret. Blocking (keyring, host store,
  // child processes): never call it on the JS thread. The value is checked
  // with ValidateSecretValue and registered with the redactor.
  Result<LiveSecret> Resolve(const ParsedRef& ref);

  // Wipes every secret the instance holds. Idempotent.
  void Close() noexcept;
  bool closed() const noexcept { return closed_; }

 private:
  Policy policy_;
  Redactor redactor_;
  Logger logger_;
  // After redactor_: it scrubs with it, and is destroyed (threads joined)
  // before it.
  HttpClient http_{redactor_};
  bool closed_ = false;
};

}  // namespace keyref
