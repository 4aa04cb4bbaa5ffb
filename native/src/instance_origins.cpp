// Instance: origins a key may be sent to, fingerprints, sending and the
// audit trail (docs/origins.md). Split from instance.cpp, which resolves and
// stores keys.
#include <algorithm>
#include <utility>

#include "keyref/base_url.h"
#include "keyref/fingerprint.h"
#include "keyref/instance.h"
#include "keyref/request_head.h"

namespace keyref {
namespace {

bool HasRecords(Scheme s) {
  return s == Scheme::kSecret || s == Scheme::kKeyring || s == Scheme::kFile;
}

}  // namespace

// ---- Binding records ------------------------------------------------------

Result<std::optional<BindingRecord>> Instance::ReadRecord(
    const ParsedRef& ref, std::optional<Error>* problem) {
  std::optional<ParsedRef> where =
      BindingRecordRef(ref, policy_.keyring_service);
  if (!where) return std::optional<BindingRecord>();
  const std::string key = CacheKey(ref);
  const auto now = std::chrono::steady_clock::now();
  // Records written or deleted since this read started: when any were, what
  // the read returns is not cached (it may predate the write; cached, it
  // would hide a new binding, or keep a narrowed one wide, for a TTL).
  std::uint64_t epoch = 0;
  if (cache_.enabled()) {
    std::lock_guard<std::mutex> lock(records_mu_);
    auto it = records_.find(key);
    if (it != records_.end() && it->second.expires > now) {
      if (problem) *problem = it->second.problem;
      return it->second.record;
    }
    epoch = records_epoch_;
  }
  // Read from the store itself, not through Resolve: the record is not a
  // key, so it is neither cached with keys nor registered with the
  // redactor (which would then scrub origins out of every output).
  Result<SecretValue> got = SourceFor(ref.scheme).Resolve(*where);
  std::optional<BindingRecord> record;
  std::optional<Error> unreadable;
  if (got) {
    Result<BindingRecord> parsed = ParseBindingRecord(got.value().Reveal());
    if (parsed) {
      record = std::move(parsed).value();
    } else {
      // Binds nothing (fail closed), and says so: in the log once per read,
      // with its code, and to describe() and the CLI's check through
      // `problem`, so a key that lost its stored origins is not a mystery.
      const Error& e = parsed.error();
      logger_.Log(LogLevel::kWarn, "binding record of " + ref.ref + ": " +
                                       ErrorCodeName(e.code) + ": " +
                                       e.message);
      unreadable =
          Error(e.code, "The binding of " + ref.ref + ": " + e.message, e.hint);
    }
  } else if (got.error().code != ErrorCode::kSecretNotFound) {
    return std::move(got).error();
  }
  if (cache_.enabled()) {
    std::lock_guard<std::mutex> lock(records_mu_);
    if (records_epoch_ == epoch) {
      records_[key] = CachedRecord{record, unreadable, now + policy_.cache_ttl};
    }
  }
  if (problem) *problem = std::move(unreadable);
  return record;
}

Status Instance::WriteRecord(const ParsedRef& ref,
                             const BindingRecord& record) {
  std::optional<ParsedRef> where =
      BindingRecordRef(ref, policy_.keyring_service);
  if (!where) return {};
  {
    std::lock_guard<std::mutex> lock(records_mu_);
    ++records_epoch_;
    records_.erase(CacheKey(ref));
  }
  std::string text = SerializeBindingRecord(record);
  Status st =
      SourceFor(ref.scheme)
          .Store(*where, SecretValue::FromBytes(text.data(), text.size()));
  {
    std::lock_guard<std::mutex> lock(records_mu_);
    ++records_epoch_;
    records_.erase(CacheKey(ref));
  }
  if (!st) {
    const Error& e = st.error();
    return Error(e.code,
                 "The binding of " + ref.ref +
                     " (the origins its key may go to) could not be "
                     "recorded: " +
                     e.message,
                 e.hint);
  }
  return {};
}

Status Instance::DeleteRecord(const ParsedRef& ref) {
  std::optional<ParsedRef> where =
      BindingRecordRef(ref, policy_.keyring_service);
  if (!where) return {};
  {
    std::lock_guard<std::mutex> lock(records_mu_);
    ++records_epoch_;
    records_.erase(CacheKey(ref));
  }
  Status st = SourceFor(ref.scheme).Delete(*where);
  // Again after the delete, as WriteRecord does: a read that ran whole
  // while the store deleted may have cached the record being deleted.
  {
    std::lock_guard<std::mutex> lock(records_mu_);
    ++records_epoch_;
    records_.erase(CacheKey(ref));
  }
  return st;
}

KeyBinding Instance::BuildBinding(
    const ParsedRef& ref, std::optional<Provider> provider,
    const std::optional<BindingRecord>& record) const {
  KeyBinding b;
  if (provider && !DefaultOrigin(*provider).empty()) {
    Result<OriginPattern> p = ParseOriginPattern(DefaultOrigin(*provider));
    if (p)
      b.origins.push_back(
          {std::move(p).value(), OriginSource::kProviderDefault});
  }
  if (record) {
    for (const OriginPattern& p : record->origins) {
      b.origins.push_back({p, OriginSource::kStored});
    }
  }
  auto it = policy_origins_.find(CacheKey(ref));
  if (it != policy_origins_.end()) {
    for (const OriginPattern& p : it->second) {
      b.origins.push_back({p, OriginSource::kPolicy});
    }
  }
  return b;
}

Status Instance::Bind(const ParsedRef& ref,
                      const std::vector<OriginPattern>& origins, bool add,
                      const std::optional<std::string>& expected_key) {
  if (Status st = Usable(ref); !st) return st;
  if (!HasRecords(ref.scheme)) {
    return Error(ErrorCode::kSourceDenied,
                 std::string("keyref cannot record a binding for ") +
                     SchemeName(ref.scheme) + ": refs (a read-only source).",
                 "Bind it with policy.origins in the host's user settings.");
  }
  std::lock_guard<std::mutex> writes(writes_mu_);
  BindingRecord record;
  record.origins = origins;
  // The origins bind the key stored now, read from the store itself (a
  // cached key may have been replaced by another process): its fingerprint
  // goes in the record. With no key stored, none does, and the record
  // binds the key stored next (docs/origins.md). The record is read from
  // the store too: a cached one may predate another window's write, and
  // `add` would merge its origins into the record for the new key.
  ForgetCached(ref);
  Result<LiveSecret> key = Resolve(ref);
  if (key) {
    Result<std::string> fp = FingerprintOf(key.value().value());
    if (!fp) return std::move(fp).error();
    record.key_fingerprint = std::move(fp).value();
  } else if (key.error().code != ErrorCode::kSecretNotFound) {
    return std::move(key).error();
  }
  if (expected_key && *expected_key != record.key_fingerprint) {
    return Error(
        ErrorCode::kKeyChanged,
        "The key stored under " + ref.ref +
            (record.key_fingerprint.empty()
                 ? " is gone"
                 : " is now the key with fingerprint " +
                       record.key_fingerprint) +
            ", not the one with fingerprint " + *expected_key +
            " that was shown; nothing was bound.",
        "Another window or program stored or removed the key in between. "
        "Ask again with the key stored now (describe('" +
            ref.ref + "')).");
  }
  Result<std::optional<BindingRecord>> old = ReadRecord(ref);
  if (add && !old) return std::move(old).error();
  if (old && old.value() && old.value()->AppliesTo(record.key_fingerprint)) {
    record.stored_at_ms = old.value()->stored_at_ms;
    if (add) {
      std::vector<OriginPattern> all = old.value()->origins;
      for (const OriginPattern& o : origins) {
        const bool seen = std::any_of(
            all.begin(), all.end(),
            [&](const auto& p) { return p.ToString() == o.ToString(); });
        if (!seen) all.push_back(o);
      }
      record.origins = std::move(all);
    }
  }
  Status st = WriteRecord(ref, record);
  logger_.Log(LogLevel::kInfo,
              "bind " + ref.ref + " (" + std::to_string(origins.size()) +
                  " origins): " + (st ? "ok" : ErrorCodeName(st.error().code)));
  return st;
}

Result<KeyBinding> Instance::Binding(const ParsedRef& ref,
                                     std::optional<Provider> provider) {
  if (Status st = Usable(ref); !st) return std::move(st).error();
  std::optional<Result<LiveSecret>> key;
  Result<StoredBinding> stored = ReadBinding(ref, &key);
  if (!stored) return std::move(stored).error();
  return BuildBinding(ref, provider, stored.value().applies);
}

Result<bool> Instance::RecordBindsKey(const BindingRecord& record,
                                      const SecretValue& key) {
  if (record.key_fingerprint.empty()) return true;
  Result<std::string> fp = FingerprintOf(key);
  if (!fp) return std::move(fp).error();
  if (record.AppliesTo(fp.value())) return true;
  if (fp_process_local_ && !fp_mismatch_warned_.exchange(true)) {
    logger_.Log(LogLevel::kWarn,
                "a binding record names another key: with no store for the "
                "fingerprint key, this process fingerprints keys with a key "
                "of its own, so origins recorded by another process bind "
                "nothing here (docs/origins.md)");
  }
  return false;
}

void Instance::ForgetCached(const ParsedRef& ref) {
  cache_.Erase(CacheKey(ref));
  std::lock_guard<std::mutex> lock(records_mu_);
  ++records_epoch_;
  records_.erase(CacheKey(ref));
}

Result<Instance::StoredBinding> Instance::ReadBinding(
    const ParsedRef& ref, std::optional<Result<LiveSecret>>* key) {
  StoredBinding mismatch;  // the last read's record, naming another key
  // Nothing: the record names another key (read again once, ReadTwice).
  auto read = [&]() -> std::optional<Result<StoredBinding>> {
    key->reset();  // a key read by an earlier attempt is not this one's
    StoredBinding out;
    Result<std::optional<BindingRecord>> record =
        ReadRecord(ref, &out.unreadable);
    if (!record) return Result<StoredBinding>(std::move(record).error());
    std::optional<BindingRecord>& rec = record.value();
    if (!rec) return Result<StoredBinding>(std::move(out));
    if (!rec->key_fingerprint.empty()) {
      // A record that names a key binds nothing while no key resolves.
      key->emplace(Resolve(ref));
      if (!**key) {
        // No answer (a frozen or locked keyring): the record's origins are
        // unknown, not absent; a caller that would write (keyref secret
        // set) or show them (describe) must not take them for none.
        if (IsUnanswered((**key).error().code)) {
          return Result<StoredBinding>((**key).error());
        }
        return Result<StoredBinding>(std::move(out));
      }
      Result<bool> binds = RecordBindsKey(*rec, (**key).value().value());
      if (!binds) return Result<StoredBinding>(std::move(binds).error());
      if (!binds.value()) {
        mismatch.replaced = std::move(rec);
        return std::nullopt;
      }
    }
    out.applies = std::move(rec);
    return Result<StoredBinding>(std::move(out));
  };
  std::optional<Result<StoredBinding>> got = ReadTwice(ref, read);
  if (got) return std::move(*got);
  return mismatch;
}

Result<KeyGrant> Instance::Grant(const ParsedRef& ref, Provider provider,
                                 const BaseUrl& target) {
  if (Status st = Usable(ref); !st) return std::move(st).error();
  // The provider default and policy.origins need no store access; the
  // record is read only when they do not already allow the target.
  KeyBinding binding = BuildBinding(ref, provider, std::nullopt);
  if (binding.Allows(target)) {
    Result<LiveSecret> key = Resolve(ref);
    if (!key) return std::move(key).error();
    return KeyGrant{std::move(key).value(), std::move(binding)};
  }
  // Only the stored record can allow the target: it must have been
  // recorded for the key resolved now. Storing writes the record, then the
  // key; a request between the two (or one that reads a key another
  // process stored next to this process's cached record, or the other way
  // round) would otherwise pair a key with origins recorded for another
  // (docs/origins.md, "Which key a binding belongs to").
  // Nothing: the record names another key (read again once, ReadTwice).
  auto read = [&]() -> std::optional<Result<KeyGrant>> {
    std::optional<Error> unreadable;
    Result<std::optional<BindingRecord>> record = ReadRecord(ref, &unreadable);
    if (!record) return Result<KeyGrant>(std::move(record).error());
    binding = BuildBinding(ref, provider, record.value());
    if (Status st = CheckKeyOrigin(binding, ref, provider, target); !st) {
      logger_.Log(LogLevel::kWarn, "request with " + ref.ref + " to " +
                                       OriginOf(target).ToString() + ": " +
                                       ErrorCodeName(st.error().code));
      if (unreadable) {
        // The refusal's code stays (nothing was sent) and so does its hint,
        // which says how to bind; the message says the stored origins were
        // dropped, and why.
        Error e = std::move(st).error();
        e.message += " " + unreadable->message;
        return Result<KeyGrant>(std::move(e));
      }
      return Result<KeyGrant>(std::move(st).error());
    }
    Result<LiveSecret> key = Resolve(ref);
    if (!key) return Result<KeyGrant>(std::move(key).error());
    // The target is allowed, and only by the record (so there is one).
    Result<bool> binds =
        record.value() ? RecordBindsKey(*record.value(), key.value().value())
                       : Result<bool>(true);
    if (!binds) return Result<KeyGrant>(std::move(binds).error());
    if (!binds.value()) return std::nullopt;  // the key is wiped: never sent
    return Result<KeyGrant>(
        KeyGrant{std::move(key).value(), std::move(binding)});
  };
  if (std::optional<Result<KeyGrant>> got = ReadTwice(ref, read)) {
    return std::move(*got);
  }
  Error refused = ReplacedBindingError(ref, provider, target);
  logger_.Log(LogLevel::kWarn,
              "request with " + ref.ref + " to " + OriginOf(target).ToString() +
                  ": " + ErrorCodeName(refused.code) +
                  " (its stored binding was recorded for another key)");
  return refused;
}

Error Instance::ReplacedBindingError(const ParsedRef& ref, Provider provider,
                                     const BaseUrl& target) {
  // The binding without the record does not allow the target (Grant read
  // the record because of that): CheckKeyOrigin's code, UNBOUND or DENIED,
  // and its hint, said after why the record did not count.
  Status st = CheckKeyOrigin(BuildBinding(ref, provider, std::nullopt), ref,
                             provider, target);
  Error e = st ? Error(ErrorCode::kKeyOriginDenied, "", "") : st.error();
  const std::string origin = OriginOf(target).ToString();
  return Error(
      e.code,
      "The origins stored for " + ref.ref +
          " were recorded for another key (a key stored since replaced it, "
          "or a program that keeps its fingerprint key in another store "
          "recorded them), so they do not bind the key stored now. " +
          e.message,
      "The binding stored for " + ref.ref +
          " names another key. Store the key again with its origins "
          "(storeSecret('" +
          ref.ref + "', key, { origins: ['" + origin +
          "'] }) or keyref secret set … --origin " + origin +
          "), or, if the key stored now is the one you meant for " + origin +
          " and you trust " + origin + ", bind it: bindOrigins('" + ref.ref +
          "', ['" + origin + "']). A workspace setting can never bind a key.");
}

// ---- Fingerprints ---------------------------------------------------------

namespace {

// Why the installation key could not be had from its entry `where`, naming
// it (the failing call may be about a key in another store).
Error FingerprintKeyError(const ParsedRef& where, const Error& e) {
  return Error(e.code,
               "The fingerprint key (" + where.ref +
                   "), which stored bindings are checked with, could not be "
                   "read: " +
                   e.message,
               e.hint);
}

}  // namespace

Result<const SecretValue*> Instance::InstallationKey(
    std::chrono::steady_clock::time_point asked) {
  // One attempt at a time: a call that queued behind an attempt that got
  // no answer gets its error instead of waiting out another timeout (with
  // a frozen daemon, the fourth of four requests would wait four).
  if (!fp_key_.empty()) return &fp_key_;
  if (fp_failure_ && fp_failed_at_ >= asked) return *fp_failure_;
  Result<const SecretValue*> got = LoadInstallationKey();
  if (got) {
    fp_failure_.reset();
  } else {
    fp_failure_ = got.error();
    fp_failed_at_ = std::chrono::steady_clock::now();
  }
  return got;
}

Result<const SecretValue*> Instance::LoadInstallationKey() {
  // The OS keyring first, so that the CLI and every extension on this
  // machine show the same fingerprint for a key; then the host's store;
  // then the plaintext file, only where the policy opted into it (headless
  // machines: the key sits next to the keys it fingerprints, so it tells a
  // reader of that file nothing new).
  for (Scheme s : {Scheme::kKeyring, Scheme::kSecret, Scheme::kFile}) {
    if (!policy_.allow.Has(s)) continue;
    const ParsedRef where = FingerprintKeyRef(s);
    Result<SecretValue> got = SourceFor(s).Resolve(where);
    if (got && got.value().size() == 2 * kFingerprintKeyBytes) {
      fp_key_ = std::move(got).value();
      return &fp_key_;
    }
    if (!got) {
      const ErrorCode code = got.error().code;
      // A store that is there but did not answer (a busy or frozen daemon)
      // or is locked: this call fails with its code and nothing is kept,
      // so the next call asks again. Falling through would settle, for the
      // process's lifetime, on another store's key or a process-local one:
      // every binding recorded with the real key would then look like
      // another key's (refused), and every record written here would name
      // a fingerprint no other process computes.
      if (IsUnanswered(code)) return FingerprintKeyError(where, got.error());
      if (code != ErrorCode::kSecretNotFound) continue;  // not usable here
    }
    Result<SecretValue> made = NewFingerprintKey();
    if (!made) return std::move(made).error();
    SecretValue fresh = std::move(made).value();
    if (Status st = SourceFor(s).Store(where, fresh); !st) {
      // A write that timed out may yet land: the next call reads it back.
      // A store that refuses the write (locked, read-only) holds no key, so
      // the next store may keep one, as before.
      if (st.error().code == ErrorCode::kSourceTimeout) {
        return FingerprintKeyError(where, st.error());
      }
      continue;
    }
    // Read back: when two processes raced, the one stored last wins for
    // every later start.
    Result<SecretValue> again = SourceFor(s).Resolve(where);
    fp_key_ = again && again.value().size() == 2 * kFingerprintKeyBytes
                  ? std::move(again).value()
                  : std::move(fresh);
    return &fp_key_;
  }
  logger_.Log(LogLevel::kWarn,
              "no secret store can keep the fingerprint key (no keyring, no "
              "secretStorage, no file backend): fingerprints are stable only "
              "within this process, and origins another process recorded "
              "for a key bind nothing here");
  Result<SecretValue> made = NewFingerprintKey();
  if (!made) return std::move(made).error();
  fp_process_local_ = true;
  fp_key_ = std::move(made).value();
  return &fp_key_;
}

Result<std::string> Instance::FingerprintOf(const SecretValue& value) {
  // The key is used under fp_mu_ too: Close() wipes it under that lock, and
  // a wiped key's page goes back to the pool (or is unmapped), so a
  // fingerprint computed beside a Close() must not still be reading it.
  const auto asked = std::chrono::steady_clock::now();
  std::lock_guard<std::mutex> lock(fp_mu_);
  Result<const SecretValue*> k = InstallationKey(asked);
  if (!k) return std::move(k).error();
  return KeyFingerprint(*k.value(), value);
}

Result<std::string> Instance::Fingerprint(const ParsedRef& ref) {
  Result<LiveSecret> live = Resolve(ref);
  if (!live) return std::move(live).error();
  return FingerprintOf(live.value().value());
}

KeyDescription Instance::Describe(const ParsedRef& ref,
                                  std::optional<Provider> provider) {
  KeyDescription d;
  if (Status st = Usable(ref); !st) {
    d.check = std::move(st);
    return d;
  }
  // The stored origins count only for the key they were recorded for, as
  // in Grant: describe never shows a binding a request would not honour.
  std::optional<Result<LiveSecret>> key;
  Result<StoredBinding> stored = ReadBinding(ref, &key);
  std::optional<BindingRecord> rec;
  if (!stored && IsUnanswered(stored.error().code)) {
    // The record or the fingerprint key got no answer: the key is not
    // shown as unbound (its stored origins are unknown, not absent), and
    // nothing waits out a second timeout.
    d.binding = BuildBinding(ref, provider, std::nullopt);
    d.check = std::move(stored).error();
    return d;
  }
  if (stored) {
    d.binding_problem = stored.value().unreadable;
    rec = stored.value().applies;
    if (stored.value().replaced) {
      for (const OriginPattern& p : stored.value().replaced->origins) {
        d.replaced_origins.push_back(p.ToString());
      }
    }
  }
  d.binding = BuildBinding(ref, provider, rec);
  if (rec) d.stored_at_ms = rec->stored_at_ms;
  d.last_used_at_ms = audit_.LastUsed(ref.ref);
  Result<LiveSecret> live =
      key ? std::move(*key) : Result<LiveSecret>(Resolve(ref));
  if (!live) {
    d.check = std::move(live).error();
    return d;
  }
  Result<std::string> fp = FingerprintOf(live.value().value());
  if (fp) {
    d.fingerprint = std::move(fp).value();
  } else {
    d.check = std::move(fp).error();
  }
  return d;
}

// ---- Sending and the audit trail -----------------------------------------

Status Instance::ConfigureAudit(AuditOptions options) {
  // The log's own reports (lines a held lock cost, once per back-off
  // period; a rotated file skipped) name the file and counts, never a value.
  options.warn = [this](const std::string& message) {
    logger_.Log(LogLevel::kError, message);
  };
  return audit_.Open(std::move(options));
}

Result<std::vector<AuditRecord>> Instance::AuditTail(std::size_t n) {
  return audit_.Tail(n);
}

Result<HttpResponse> Instance::Send(const HttpRequest& request,
                                    RequestControl& control,
                                    const EventSink& on_event) {
  AuditRecord rec;
  rec.time_ms = NowMs();
  const auto started = std::chrono::steady_clock::now();
  KeyResolver resolve = [this, &rec](
                            const ParsedRef& ref, Provider provider,
                            const BaseUrl& target) -> Result<KeyGrant> {
    Result<KeyGrant> g = Grant(ref, provider, target);
    if (g) {
      // Computed while the key is at hand; the installation key is loaded
      // once per instance.
      Result<std::string> fp = FingerprintOf(g.value().key.value());
      if (fp) rec.fingerprint = std::move(fp).value();
    }
    return g;
  };
  Result<HttpResponse> result =
      http_.Execute(request, resolve, control, on_event);

  rec.provider = ProviderName(request.provider);
  if (request.api_key_ref) rec.ref = request.api_key_ref->ref;
  // The path and the method are recorded only when they pass the checks
  // the request itself runs (ValidateRequest), else left empty: a refused
  // request is recorded too, and the raw binding can hand Send a path with
  // a query ("/chat?password=…"), a method with CR/LF, or a megabyte of
  // either. AuditLog::Append also cuts every field to kMaxFieldBytes.
  if (Result<BaseUrl> url = ParseBaseUrl(request.base_url); url) {
    rec.origin = OriginOf(url.value()).ToString();
    if (CheckRequestPath(request.path)) {
      // ParseBaseUrl keeps the base URL's query apart; the request path
      // holds no "?" once checked.
      rec.path = url.value().path + request.path;
    }
  }
  if (IsAllowedMethod(request.method)) rec.method = request.method;
  rec.duration_ms = std::chrono::duration<double, std::milli>(
                        std::chrono::steady_clock::now() - started)
                        .count();
  rec.bytes_sent = request.body.size();
  if (result) {
    rec.status = result.value().status;
    rec.bytes_received = result.value().body.size();
  } else {
    rec.error_code = ErrorCodeName(result.error().code);
  }
  // Every text field through the redactor as well: the sink-side guarantee
  // every other output of keyref has.
  for (std::string* f : {&rec.ref, &rec.origin, &rec.path, &rec.method}) {
    *f = redactor_.Redact(*f);
  }
  if (Status st = audit_.Append(std::move(rec));
      !st && !audit_warned_.exchange(true)) {
    logger_.Log(LogLevel::kError, st.error().message);
  }
  return result;
}

void Instance::ForgetRecordsAndKey() noexcept {
  {
    std::lock_guard<std::mutex> lock(records_mu_);
    ++records_epoch_;
    records_.clear();
  }
  std::lock_guard<std::mutex> lock(fp_mu_);
  fp_key_.Wipe();
}

}  // namespace keyref
