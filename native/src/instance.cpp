#include "keyref/instance.h"

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>

namespace keyref {

Status CheckSecretSize(std::size_t size) {
  if (size <= kMaxSecretBytes) return {};
  return Error(ErrorCode::kSecretMalformed,
               "The secret is longer than 64 KiB, the most keyref accepts.",
               "Store the API key itself, not a file or document that holds "
               "it.");
}

Status ValidateSecretValue(const SecretValue& value) {
  if (Status st = CheckSecretSize(value.size()); !st) return st;
  if (value.empty()) {
    return Error(ErrorCode::kSecretMalformed, "The secret is empty.",
                 "Store the key again; an empty value is never sent.");
  }
  // Every byte is read and folded in the same way, whatever it holds: no
  // early exit and no branch on a byte, so the time depends on the length
  // only. Stopping at the first control character told, by its time, where
  // that character is (the length of a multi-line secret's first line).
  // Bit 31 of `bad` ends up set when some byte is below 0x20 (c - 0x20
  // wraps) or is 0x7F ((c ^ 0x7F) - 1 wraps); bytes are at most 0xFF, so
  // no other byte reaches bit 31.
  std::uint32_t bad = 0;
  for (char ch : value.Reveal()) {
    const std::uint32_t c = static_cast<unsigned char>(ch);
    bad |= (c - 0x20u) | ((c ^ 0x7Fu) - 1u);
  }
  if ((bad >> 31) != 0) {
    return Error(ErrorCode::kSecretMalformed,
                 "The secret contains a line break, NUL or other control "
                 "character, so it cannot be sent in a header.",
                 "Store the key again without the trailing newline or "
                 "other invisible characters.");
  }
  return {};
}

Error SidecarClosedError() {
  return Error(ErrorCode::kInternal, "This Sidecar is closed.",
               "Create a new Sidecar.");
}

namespace {

bool Writable(Scheme s) {
  return s == Scheme::kSecret || s == Scheme::kKeyring || s == Scheme::kFile;
}

}  // namespace

std::int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

namespace {

// The policy with its environment: captured here, on the thread that makes
// the instance, when the caller gave none.
Policy WithEnv(Policy policy) {
  if (!policy.env) policy.env = ProcessEnv::Capture();
  return policy;
}

}  // namespace

Instance::Instance(Policy policy, std::shared_ptr<HostSecretStore> host)
    : policy_(WithEnv(std::move(policy))),
      logger_(redactor_),
      cache_(policy_.cache_ttl) {
  logger_.SetLogBodies(policy_.log_bodies);
  SourceConfig config;
  config.plaintext_file = policy_.plaintext_file;
  config.keyring_service = policy_.keyring_service;
  config.timeout = policy_.resolve_timeout;
  config.op_program = policy_.op_program;
  config.pass_program = policy_.pass_program;
  config.host = std::move(host);
  config.logger = &logger_;
  config.env = policy_.env;
  for (int i = 0; i < kSchemeCount; ++i) {
    sources_[i] = MakeSource(static_cast<Scheme>(i), config);
  }
  // policy.origins, keyed like the cache so that both spellings of a
  // keyring entry find its origins. Refs the TS layer let through parse.
  for (const auto& [text, patterns] : policy_.origins) {
    Result<ParsedRef> ref = ParseRef(text, SchemeSet::All());
    if (!ref) continue;
    auto& list = policy_origins_[CacheKey(ref.value())];
    list.insert(list.end(), patterns.begin(), patterns.end());
  }
}

Instance::~Instance() { Close(); }

HttpClientOptions Instance::ClientOptions(const Policy& policy) {
  HttpClientOptions options;
  options.env = policy.env;
  return options;
}

SecretSource& Instance::SourceFor(Scheme scheme) {
  return *sources_[static_cast<int>(scheme)];
}

void Instance::SetSourceForTesting(Scheme scheme,
                                   std::unique_ptr<SecretSource> src) {
  sources_[static_cast<int>(scheme)] = std::move(src);
}

std::string Instance::CacheKey(const ParsedRef& ref) const {
  if (ref.scheme == Scheme::kKeyring) {
    return "keyring:" +
           (ref.service.empty() ? policy_.keyring_service : ref.service) + "/" +
           ref.account;
  }
  return ref.ref;
}

Status Instance::Usable(const ParsedRef& ref) const {
  if (closed_) return SidecarClosedError();
  if (!policy_.allow.Has(ref.scheme)) {
    RefCheck c;
    c.code = ErrorCode::kRefSchemeDisabled;
    c.scheme = ref.scheme;
    c.scheme_known = true;
    return DescribeRefError(c);
  }
  return {};
}

void Instance::NoteLocking(const ParsedRef& ref, const SecretValue& value) {
  // Not fatal (RLIMIT_MEMLOCK is often 64 KiB in containers); said once.
  if ((!value.locked() || !value.dump_excluded()) &&
      !mlock_warned_.exchange(true)) {
    logger_.Log(LogLevel::kWarn,
                "secret for " + ref.ref +
                    (value.locked() ? ""
                                    : " is not locked in RAM (mlock "
                                      "failed; raise RLIMIT_MEMLOCK)") +
                    (value.dump_excluded() ? ""
                                           : " is not excluded from "
                                             "core dumps"));
  }
}

Result<LiveSecret> Instance::Resolve(const ParsedRef& ref) {
  if (Status st = Usable(ref); !st) return std::move(st).error();
  const std::string key = CacheKey(ref);
  if (cache_.enabled()) {
    SecretValue hit = cache_.Get(key);
    if (!hit.empty()) {
      // The line is built only when it will be written: this is the hot
      // path of every request with a cached key.
      if (logger_.Enabled(LogLevel::kTrace)) {
        logger_.Log(LogLevel::kTrace, "resolve " + ref.ref + ": cache hit");
      }
      return LiveSecret(std::move(hit), redactor_);
    }
  }
  // Read before the source is asked: a store or delete of this ref that
  // runs meanwhile keeps what is read now out of the cache.
  const std::uint64_t epoch = cache_.Epoch();
  const auto started = std::chrono::steady_clock::now();
  Result<SecretValue> got = SourceFor(ref.scheme).Resolve(ref);
  if (got.ok() &&
      std::chrono::steady_clock::now() - started > policy_.resolve_timeout) {
    // The resolve timeout covers the whole resolution: a source without a
    // deadline of its own (a huge file on a slow disk) that answers late is
    // treated as one that timed out, and its value is never registered.
    got = Error(ErrorCode::kSourceTimeout,
                std::string("The ") + SchemeName(ref.scheme) +
                    " source took longer than the resolve timeout.",
                "Raise policy.resolveTimeoutMs, or check the source.");
  }
  if (!got.ok()) {
    const Error& e = got.error();
    logger_.Log(LogLevel::kDebug, "resolve " + ref.ref + " (" +
                                      SchemeName(ref.scheme) +
                                      "): " + ErrorCodeName(e.code));
    return std::move(got).error();
  }
  SecretValue value = std::move(got).value();
  if (Status st = ValidateSecretValue(value); !st) {
    logger_.Log(LogLevel::kDebug, "resolve " + ref.ref + ": SECRET_MALFORMED");
    return std::move(st).error();
  }
  NoteLocking(ref, value);
  if (closed_)
    return SidecarClosedError();  // close() ran while the source worked
  cache_.PutUnlessErasedSince(key, value, epoch);
  logger_.Log(LogLevel::kDebug,
              "resolve " + ref.ref + " (" + SchemeName(ref.scheme) + "): ok");
  return LiveSecret(std::move(value), redactor_);
}

Result<Scheme> Instance::Check(std::string_view text) {
  Result<ParsedRef> parsed = ParseRef(text, policy_.allow);
  if (!parsed.ok()) return std::move(parsed).error();
  const ParsedRef& ref = parsed.value();
  Result<LiveSecret> live = Resolve(ref);
  if (!live.ok()) return std::move(live).error();
  return ref.scheme;  // the LiveSecret is wiped here
}

bool Instance::CheckCached(std::string_view text, Scheme* scheme) {
  if (!cache_.enabled() || closed_) return false;
  RefCheck c = CheckRef(text, policy_.allow);
  if (!c.ok()) return false;
  std::string key;
  if (c.scheme == Scheme::kKeyring) {
    key.append("keyring:")
        .append(c.parts.service.empty()
                    ? std::string_view(policy_.keyring_service)
                    : c.parts.service)
        .append("/")
        .append(c.parts.account);
  } else {
    key.assign(text);
  }
  if (!cache_.Contains(key)) return false;
  *scheme = c.scheme;
  return true;
}

Status Instance::Store(const ParsedRef& ref, const SecretValue& value,
                       const StoreOptions& options) {
  if (Status st = Usable(ref); !st) return st;
  if (!Writable(ref.scheme)) {
    return SourceFor(ref.scheme).Store(ref, value);  // SOURCE_DENIED
  }
  if (Status st = ValidateSecretValue(value); !st) return st;
  // The record names the key it binds (docs/origins.md, "Which key a
  // binding belongs to"): a reader that finds a key next to a record naming
  // another one does not use the record's origins.
  Result<std::string> fp = FingerprintOf(value);
  if (!fp) return std::move(fp).error();
  // Both writes as one for this instance's readers: a Grant that saw the
  // mismatch re-reads once this is done (instance_origins.cpp).
  std::lock_guard<std::mutex> writes(writes_mu_);
  // The record first, then the key. In between, a reader (of this process
  // or another) finds the old key next to a record naming the new one: a
  // mismatch, refused. The other order left the old record next to the new
  // key, and an old record that names no key (written before records named
  // their key, or bound before any key was stored) binds whatever key it
  // finds: the new key went to the old origins. The old record (put back
  // if the key write fails) is read from the store, not the cache.
  ForgetCached(ref);
  Result<std::optional<BindingRecord>> old = ReadRecord(ref);
  if (!old && old.error().code != ErrorCode::kSecretMalformed) {
    // Not read (no answer from a busy or frozen daemon, a locked keyring,
    // a store that failed): nothing is written. Written anyway, the old
    // record could not be put back if the key write then failed, and the
    // old key would lose its binding; and after no answer the store would
    // wait out a second timeout below. (An entry that is not a record at
    // all, SECRET_MALFORMED, binds nothing: it is replaced, as before.)
    const Error& e = old.error();
    logger_.Log(LogLevel::kInfo,
                "store " + ref.ref + ": " + ErrorCodeName(e.code));
    return Error(e.code,
                 "The binding of " + ref.ref +
                     " (the origins its key may go to) could not be read, "
                     "so nothing was stored: " +
                     e.message,
                 e.hint);
  }
  BindingRecord record;
  record.origins = options.origins;
  record.stored_at_ms = NowMs();
  record.key_fingerprint = std::move(fp).value();
  Status st = WriteRecord(ref, record);
  if (st) {
    cache_.Erase(CacheKey(ref));
    st = SourceFor(ref.scheme).Store(ref, value);
    // Erase again: a resolution that raced with the write and finished in
    // between may have cached the old value; one still reading the source
    // now will not cache what it reads (its epoch is older).
    cache_.Erase(CacheKey(ref));
    http_.ForgetKeys();  // the old key's scrubber is no longer kept
    if (!st) {
      // The key was not replaced: put its record back (best effort; if
      // that fails too, the new record names a key that is not there, so
      // the old key's stored origins bind nothing: refused, never sent).
      if (old && old.value()) {
        (void)WriteRecord(ref, *old.value());
      } else if (old) {
        (void)DeleteRecord(ref);
      }
    }
  }
  logger_.Log(
      LogLevel::kInfo,
      "store " + ref.ref + ": " + (st ? "ok" : ErrorCodeName(st.error().code)));
  return st;
}

Status Instance::Delete(const ParsedRef& ref) {
  if (Status st = Usable(ref); !st) return st;
  std::lock_guard<std::mutex> writes(writes_mu_);
  cache_.Erase(CacheKey(ref));
  Status st = SourceFor(ref.scheme).Delete(ref);
  cache_.Erase(CacheKey(ref));
  http_.ForgetKeys();
  if (st && Writable(ref.scheme)) st = DeleteRecord(ref);
  logger_.Log(LogLevel::kInfo,
              "delete " + ref.ref + ": " +
                  (st ? "ok" : ErrorCodeName(st.error().code)));
  return st;
}

std::vector<SchemeStatus> Instance::SchemeStatuses() {
  std::vector<SchemeStatus> out;
  for (int i = 0; i < kSchemeCount; ++i) {
    const Scheme s = static_cast<Scheme>(i);
    SchemeStatus st;
    st.scheme = s;
    st.enabled = policy_.allow.Has(s);
    if (closed_) {
      st.reason = "the Sidecar is closed";
    } else if (!st.enabled) {
      // A disabled source is not touched (the plaintext file is not even
      // opened): the policy said not to use it.
      st.reason = "disabled by policy.allowSchemes";
    } else {
      SourceProbe p = SourceFor(s).Probe();
      st.available = p.available;
      st.reason = std::move(p.reason);
    }
    out.push_back(std::move(st));
  }
  return out;
}

void Instance::Close() noexcept {
  if (closed_.exchange(true)) return;
  http_.Close();
  cache_.Clear();
  ForgetRecordsAndKey();
  redactor_.ForgetAll();
  // Lets go of the host's callback (the addon's thread-safe function); the
  // stderr and file sinks stay for lines logged while closing.
  try {
    logger_.Log(LogLevel::kDebug, "closed: secrets wiped");
    logger_.Flush();
    logger_.SetHostSink(nullptr);
  } catch (...) {
  }
}

}  // namespace keyref
