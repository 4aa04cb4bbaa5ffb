// One keyref instance: what a JS `new Sidecar(options)` owns in native code.
// It holds the policy, the redactor every output passes through, the logger,
// and (as later parts land) the secret sources, the resolver cache and the
// HTTP client. close() wipes everything it holds.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "keyref/audit.h"
#include "keyref/binding_record.h"
#include "keyref/http_client.h"
#include "keyref/live_secret.h"
#include "keyref/log.h"
#include "keyref/origin.h"
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
  // policy.caFile / policy.ca: extra CA certificates (a PEM file, PEM text)
  // every request of this instance trusts besides the system store. Set by
  // the host from its own settings, never per request: a CA together with a
  // proxy is a way to read the key (docs/threat-model.md, "Network peers").
  std::string ca_file;
  std::string ca_pem;
  // op:// and pass: run these programs, looked up on PATH. Not settable from
  // JS (a policy that names a program to run is a hazard); tests point them
  // at stand-ins.
  std::string op_program = "op";
  std::string pass_program = "pass";
  // policy.origins: ref -> the origins its key may be sent to, given by the
  // host at construction from user-scope settings (docs/origins.md). Keys
  // are refs as written; keyring:ACCOUNT and keyring:SERVICE/ACCOUNT naming
  // the same entry share their origins.
  std::map<std::string, std::vector<OriginPattern>> origins;
  // The environment everything of this instance reads (env: refs, the TLS
  // trust variables, the sources' folders and PATH, the environment op and
  // pass run with). Null: captured by the constructor, on the thread that
  // makes the instance (the JS thread, in the addon), so that no worker
  // calls getenv() while JS may call setenv() (process_env.h). A change to
  // the environment after that is not seen (docs/requests.md).
  std::shared_ptr<const ProcessEnv> env;
};

// What describe() reports about a key: never the key.
struct KeyDescription {
  // The preflight (what check() reports): ok, or the code that stops it.
  Status check;
  // "xxxx-xxxx-xxxx" (fingerprint.h); empty when the key did not resolve.
  std::string fingerprint;
  // Where the key may be sent (canonical texts, provider default first when
  // a provider was given). Stored origins are in it only when they were
  // recorded for this key (BindingRecord::key_fingerprint), as Grant has it.
  KeyBinding binding;
  // The stored origins when they were recorded for another key (one stored
  // since, by another process say): they do not bind this one.
  std::vector<std::string> replaced_origins;
  // Set when the stored binding record could not be read (an origin in it
  // no longer parses: BAD_ORIGIN; not keyref's: INTERNAL). It binds nothing
  // then, so the key may go only to `binding`; this says why the stored
  // origins are missing, with a hint, never the record's text.
  std::optional<Error> binding_problem;
  std::int64_t stored_at_ms = 0;     // 0 = unknown (not stored by keyref)
  std::int64_t last_used_at_ms = 0;  // 0 = not sent since the audit began
};

// Options of Instance::Store.
struct StoreOptions {
  // The origins recorded with the key (binding_record.h). Storing always
  // writes the record, so storing a key again without origins leaves it
  // bound by provider defaults and policy.origins only.
  std::vector<OriginPattern> origins;
};

// One scheme's line of Instance::SchemeStatuses (the Node `status()`).
struct SchemeStatus {
  Scheme scheme = Scheme::kSecret;
  bool enabled = false;    // the policy allows it
  bool available = false;  // reachable now
  std::string reason;      // why not, one line; empty when available
};

// Unix time now, in milliseconds.
std::int64_t NowMs();

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
  // The HTTP client's options for `policy`: its environment.
  static HttpClientOptions ClientOptions(const Policy& policy);

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
  // or file:, records its binding next to it (binding_record.h), and drops
  // the ref from the cache. Blocking.
  Status Store(const ParsedRef& ref, const SecretValue& value,
               const StoreOptions& options = {});
  // Removes an entry from secret:, keyring: or file: (and its binding
  // record) and drops the ref from the cache. A missing entry is not an
  // error. Blocking.
  Status Delete(const ParsedRef& ref);

  // --- Origins (docs/origins.md) ---------------------------------------

  // Replaces the origins recorded for `ref` (keeps its storedAt), for the
  // key stored now (its fingerprint goes in the record; with no key stored,
  // none, and the record binds whatever key is stored next). Only for
  // writable schemes (secret:, keyring:, file:; others SOURCE_DENIED). Call
  // it from a person's explicit action (the CLI's `bind`, a confirmed
  // prompt), never from workspace configuration. Blocking.
  // With `add`, the origins are added to those recorded for that same key
  // (read under the same lock as the write: a key stored in between never
  // inherits the replaced key's origins); origins recorded for another key
  // are dropped, not carried over. With `add`, a record that cannot be read
  // fails the call (nothing is written): replacing it would drop origins.
  // With `expected_key` (a fingerprint a person was shown when asked to
  // trust an origin), the key stored now must be that key, else KEY_CHANGED
  // and nothing is written: the consent was for that key.
  Status Bind(const ParsedRef& ref, const std::vector<OriginPattern>& origins,
              bool add = false,
              const std::optional<std::string>& expected_key = std::nullopt);

  // Everything `ref`'s key may be sent to when used with `provider` (nullopt:
  // no provider default): the provider default, the stored record (when it
  // was recorded for the key stored now), policy.origins, in that order.
  // Blocking (reads the record, and resolves the key when the record names
  // one).
  Result<KeyBinding> Binding(const ParsedRef& ref,
                             std::optional<Provider> provider);

  // For a request: checks `target` against the binding (KEY_ORIGIN_UNBOUND,
  // KEY_ORIGIN_DENIED) BEFORE resolving, then resolves. When only stored
  // origins allow the target, the record must name the key resolved (or no
  // key): otherwise both are read again once, after any Store, Bind or
  // Delete of this instance has finished both its writes, and a record
  // that still names another key is refused (docs/origins.md, "Which key
  // a binding belongs to"). The request builder checks the binding once
  // more right before the key is written. Blocking.
  Result<KeyGrant> Grant(const ParsedRef& ref, Provider provider,
                         const BaseUrl& target);

  // The fingerprint of `ref`'s key (resolves it). Blocking.
  Result<std::string> Fingerprint(const ParsedRef& ref);
  // The fingerprint of a value at hand (the key just resolved). Blocking
  // the first time (loads or creates the installation key).
  Result<std::string> FingerprintOf(const SecretValue& value);

  // State, fingerprint, origins, storedAt, lastUsedAt (sidecar.describe).
  // Never fails for a ref that parsed: a key that does not resolve is
  // described by its check code. Blocking.
  KeyDescription Describe(const ParsedRef& ref,
                          std::optional<Provider> provider);

  // --- Sending and the audit trail ------------------------------------

  // Sends through the HTTP client with this instance's keys: Grant as the
  // resolver, then one audit record (audit.h) per request that names a key
  // or goes out at all. Blocking: call it on an http() worker thread.
  Result<HttpResponse> Send(const HttpRequest& request, RequestControl& control,
                            const EventSink& on_event);

  // Starts the audit file (options.auditFile). Call before any Send.
  Status ConfigureAudit(AuditOptions options);
  // The last `n` audit records, oldest first. Blocking (reads the file).
  Result<std::vector<AuditRecord>> AuditTail(std::size_t n);

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
  // The stored record (nullopt when none or the scheme has no records),
  // from the record cache when policy.cacheTtlMs allows. A record that
  // cannot be read is nullopt too (it binds nothing); `problem`, when
  // given, is then set to why, with the ref in the message.
  Result<std::optional<BindingRecord>> ReadRecord(
      const ParsedRef& ref, std::optional<Error>* problem = nullptr);
  Status WriteRecord(const ParsedRef& ref, const BindingRecord& record);
  Status DeleteRecord(const ParsedRef& ref);
  // The stored record split by whether it binds the key stored now, read
  // together with that key (`*key`); on a mismatch both are read again once
  // under writes_mu_, as Grant does.
  struct StoredBinding {
    std::optional<BindingRecord> applies;   // binds the key stored now
    std::optional<BindingRecord> replaced;  // recorded for another key
    std::optional<Error> unreadable;        // ReadRecord's problem
  };
  Result<StoredBinding> ReadBinding(const ParsedRef& ref,
                                    std::optional<Result<LiveSecret>>* key);
  // True when `record` binds `key` (it names its fingerprint, or no key).
  Result<bool> RecordBindsKey(const BindingRecord& record,
                              const SecretValue& key);
  // Drops `ref`'s cached key and record (the retry after a mismatch).
  void ForgetCached(const ParsedRef& ref);
  // Runs `read` (one read of `ref`'s record and key, and whether the record
  // binds that key) and, when it returns nothing because the record names
  // another key, once more: holding writes_mu_ (so a Store, Bind or Delete
  // of this instance is not between its two writes) and past the caches.
  // Returns the second answer, or nothing when the record names another
  // key again. ReadBinding and Grant share it.
  template <typename Read>
  auto ReadTwice(const ParsedRef& ref, Read&& read) -> decltype(read()) {
    if (auto first = read()) return first;
    std::lock_guard<std::mutex> writes(writes_mu_);
    ForgetCached(ref);
    return read();
  }
  // Grant's refusal when the stored binding names another key.
  Error ReplacedBindingError(const ParsedRef& ref, Provider provider,
                             const BaseUrl& target);
  // Provider default, the record's origins, policy.origins.
  KeyBinding BuildBinding(const ParsedRef& ref,
                          std::optional<Provider> provider,
                          const std::optional<BindingRecord>& record) const;
  void ForgetRecordsAndKey() noexcept;
  // The installation's fingerprint key, loaded or made once (keyring first,
  // then the host store, else a per-process key with a warning).
  // Both under fp_mu_; `asked`: when the caller began to wait for it.
  Result<const SecretValue*> InstallationKey(
      std::chrono::steady_clock::time_point asked);
  Result<const SecretValue*> LoadInstallationKey();

  Policy policy_;
  Redactor redactor_;
  Logger logger_;
  SecretCache cache_;
  std::array<std::unique_ptr<SecretSource>, kSchemeCount> sources_;
  std::atomic<bool> closed_{false};
  std::atomic<bool> mlock_warned_{false};
  // policy.origins keyed by CacheKey (so both keyring spellings match).
  std::map<std::string, std::vector<OriginPattern>> policy_origins_;
  std::mutex fp_mu_;  // guards fp_key_ (loaded once, on a worker thread)
  SecretValue fp_key_;
  // The last attempt that got no answer (a timeout or a locked key), and
  // when it ended: calls that queued behind it get its error instead of
  // waiting out another timeout each.
  std::optional<Error> fp_failure_;
  std::chrono::steady_clock::time_point fp_failed_at_{};
  // The fingerprint key is this process's own (no store could keep it):
  // records written by other processes name keys by another key, so they
  // bind nothing here (docs/origins.md).
  std::atomic<bool> fp_process_local_{false};
  std::atomic<bool> fp_mismatch_warned_{false};
  // Held by Store, Bind and Delete across their two writes (the key and its
  // record) and by a Grant, Binding or Describe re-reading after a record
  // named another key: an in-process write between its two halves then
  // resolves without a spurious refusal. Taken before any other lock.
  std::mutex writes_mu_;
  // Binding records read recently (not secret), kept for cache_ttl.
  struct CachedRecord {
    std::optional<BindingRecord> record;
    std::optional<Error> problem;  // why a record there binds nothing
    std::chrono::steady_clock::time_point expires;
  };
  std::mutex records_mu_;
  std::map<std::string, CachedRecord> records_;
  std::uint64_t records_epoch_ = 0;  // writes and deletes of records so far
  AuditLog audit_;
  std::atomic<bool> audit_warned_{false};
  // Last: its worker threads resolve through the cache and the sources and
  // scrub with the redactor, so it is destroyed (threads joined) first.
  HttpClient http_{redactor_, ClientOptions(policy_)};
};

}  // namespace keyref
