// One keyref instance: what a JS `new Sidecar(options)` owns in native code.
// It holds the policy, the redactor every output passes through, the logger,
// and (as later parts land) the secret sources, the resolver cache and the
// HTTP client. close() wipes everything it holds.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "keyref/http_client.h"
#include "keyref/live_secret.h"
#include "keyref/log.h"
#include "keyref/redactor.h"
#include "keyref/ref.h"
#include "keyref/secret_cache.h"
#include "keyref/source.h"

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
  // Exporting profiles with secrets also needs a confirm callback
  // (docs/profiles.md).
  bool allow_secret_export = false;
  // Trace logs may include header values and bodies, always scrubbed
  // (options.policy.logBodies). Default false: trace describes requests
  // without them.
  bool log_bodies = false;
  // op:// and pass: run these programs, looked up on PATH. Not settable from
  // JS (a policy that names a program to run is a hazard); tests point them
  // at stand-ins.
  std::string op_program = "op";
  std::string pass_program = "pass";
};

// One scheme's line of Instance::SchemeStatuses (the Node `status()`).
struct SchemeStatus {
  Scheme scheme = Scheme::kSecret;
  bool enabled = false;    // the policy allows it
  bool available = false;  // reachable now
  std::string reason;      // why not, one line; empty when available
};

// The error every operation of a closed instance gives (INTERNAL, "This
// Sidecar is closed."): one definition for the core and the addon.
Error SidecarClosedError();

class Instance {
 public:
  // `host` is the host's secret store for secret: refs (may be null).
  explicit Instance(Policy policy,
                    std::shared_ptr<HostSecretStore> host = nullptr);
  ~Instance();
  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;

  const Policy& policy() const noexcept { return policy_; }
  Redactor& redactor() noexcept { return redactor_; }
  const Redactor& redactor() const noexcept { return redactor_; }
  Logger& logger() noexcept { return logger_; }
  // The outbound request builder (docs/requests.md): worker threads, connection
  // pool.
  HttpClient& http() noexcept { return http_; }

  // Resolves a validated ref to its secret, from the cache when it holds
  // the ref. Blocking (keyring, host store, child processes): never call it
  // on the JS thread. The value is checked with ValidateSecretValue and
  // registered with the redactor. Logs the ref and scheme, never the value.
  Result<LiveSecret> Resolve(const ParsedRef& ref);

  // Parses `ref` against the policy and resolves it, then drops the value:
  // the preflight behind `sidecar.check()`. Blocking, like Resolve.
  Result<Scheme> Check(std::string_view ref);
  // True when `ref` is valid and its value is in the cache: check() can
  // answer on the JS thread without blocking. Never resolves.
  bool CheckCached(std::string_view ref, Scheme* scheme);

  // Writes a value (validated first: SECRET_MALFORMED) to secret:, keyring:
  // or file:, and drops the ref from the cache. Blocking.
  Status Store(const ParsedRef& ref, const SecretValue& value);
  // Removes an entry from secret:, keyring: or file: and drops the ref from
  // the cache. A missing entry is not an error. Blocking.
  Status Delete(const ParsedRef& ref);

  // Every scheme: enabled by the policy? reachable now? Blocking (probes
  // D-Bus, PATH and the plaintext file). Disabled sources are not probed.
  std::vector<SchemeStatus> SchemeStatuses();

  // Replaces a scheme's source (tests: the fake source with error
  // injection). Call before any other use.
  void SetSourceForTesting(Scheme scheme, std::unique_ptr<SecretSource> src);
  // Entries in the cache now (tests).
  std::size_t cached_count() { return cache_.size(); }

  // Wipes every secret the instance holds (the cache, the redactor's live
  // set). Idempotent; resolutions in flight finish and wipe their own.
  void Close() noexcept;
  bool closed() const noexcept { return closed_; }

 private:
  // The cache key: one per entry, so keyring:acct and keyring:SVC/acct
  // (SVC the default service) share it.
  std::string CacheKey(const ParsedRef& ref) const;
  SecretSource& SourceFor(Scheme scheme);
  Status Usable(const ParsedRef& ref) const;
  void NoteLocking(const ParsedRef& ref, const SecretValue& value);

  Policy policy_;
  Redactor redactor_;
  Logger logger_;
  SecretCache cache_;
  std::array<std::unique_ptr<SecretSource>, kSchemeCount> sources_;
  std::atomic<bool> closed_{false};
  std::atomic<bool> mlock_warned_{false};
  // Last: its worker threads resolve through the cache and the sources and
  // scrub with the redactor, so it is destroyed (threads joined) first.
  HttpClient http_{redactor_};
};

}  // namespace keyref
