// KeyScrubber: removes one key from text handed back to JavaScript. It
// replaces the exact value, its encodings and every run of it the no-oracle
// rule counts (at least 12 characters outside the key's public prefix and
// last 4; docs/threat-model.md) with kRedactedMarker: providers echo
// fragments ("Incorrect API key provided: sk-abc…xyz"). The request builder
// runs it on everything it returns for the request that used the key,
// before the instance's Redactor, so the rule holds whatever the Redactor
// (and its store's eviction) does. The same code matches both
// (native/src/redaction/secret_runs.cpp).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "keyref/secret_value.h"

namespace keyref {

namespace redaction {
struct PrintSet;
}  // namespace redaction

class KeyScrubber {
 public:
  KeyScrubber() = default;
  // Builds the fingerprints of `key` (keyed hashes under fresh random keys,
  // never the key). Keys shorter than 8 bytes are kept, in a SecretValue,
  // for exact matching.
  explicit KeyScrubber(const SecretValue& key);
  ~KeyScrubber();
  KeyScrubber(const KeyScrubber&) = delete;
  KeyScrubber& operator=(const KeyScrubber&) = delete;
  KeyScrubber(KeyScrubber&& other) noexcept;
  KeyScrubber& operator=(KeyScrubber&& other) noexcept;

  // Scrubs `text`. Returns false, leaving *out untouched, when nothing
  // matched. Linear in the text.
  bool Scrub(std::string_view text, std::string* out) const;
  // Scrubs `*text` in place.
  void ScrubInPlace(std::string* text) const;

  bool empty() const { return !prints_ && short_key_.empty(); }

 private:
  friend class KeyScrubberCache;
  explicit KeyScrubber(std::shared_ptr<const redaction::PrintSet> prints)
      : prints_(std::move(prints)) {}
  void Wipe() noexcept;

  // Immutable once built: shared by every request a KeyScrubberCache hands
  // it to, read without locks.
  std::shared_ptr<const redaction::PrintSet> prints_;
  SecretValue short_key_;
};

// The scrubbers of the last few keys one HttpClient sent, so that a request
// with a key used a moment ago does not fingerprint it again (building a
// scrubber was most of a small request's CPU; docs/performance.md).
//
// What it holds (docs/threat-model.md, "Where a secret may exist"): per
// entry a keyed digest of the whole key (SipHash-128 under keys drawn from
// the OS RNG when the cache is made; all 128 bits are compared, so two keys
// share an entry with probability ~2^-128 and a key never gets a scrubber
// built for another) and the scrubber's PrintSet (keyed hashes under random
// keys, the material the process-wide FingerprintStore keeps too). Never
// the key: keys shorter than kMinFingerprinted, whose scrubber holds the
// key itself, are never cached. Nor are keys longer than kMaxCachedKeyBytes
// (their fingerprints run to megabytes; API keys, JWTs and service-account
// JSON are far shorter), so the entries hold at most a few MiB.
//
// Bounded: at most `max_entries`, the least recently used dropped first;
// an entry idle for longer than `max_idle` is dropped by the next lookup,
// and Clear() drops every entry (HttpClient::Close, and the instance's
// Store and Delete). Thread-safe; a scrubber handed out stays valid after
// its entry is dropped.
class KeyScrubberCache {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::size_t kMaxEntries = 4;
  static constexpr std::chrono::minutes kMaxIdle{5};
  static constexpr std::size_t kMaxCachedKeyBytes = 4096;

  // `now` is for tests (an injected clock); empty means Clock::now.
  explicit KeyScrubberCache(std::size_t max_entries = kMaxEntries,
                            Clock::duration max_idle = kMaxIdle,
                            std::function<Clock::time_point()> now = {});
  KeyScrubberCache(const KeyScrubberCache&) = delete;
  KeyScrubberCache& operator=(const KeyScrubberCache&) = delete;

  // The scrubber for `key`: the cached one when the same value was looked
  // up within max_idle, else a new one (cached unless the key is short).
  KeyScrubber For(const SecretValue& key);
  // Drops every entry.
  void Clear();

  // For tests.
  std::size_t size() const;
  std::size_t hits() const;

 private:
  struct Entry {
    std::uint64_t lo = 0;  // the keyed digest of the key
    std::uint64_t hi = 0;
    std::shared_ptr<const redaction::PrintSet> prints;
    Clock::time_point last_use;
  };
  Clock::time_point Now() const { return now_ ? now_() : Clock::now(); }
  void DropIdle(Clock::time_point now);  // mu_ held

  const std::size_t max_entries_;
  const Clock::duration max_idle_;
  const std::function<Clock::time_point()> now_;
  std::uint64_t k0_ = 0;  // the digest's keys, set once
  std::uint64_t k1_ = 0;
  mutable std::mutex mu_;
  std::vector<Entry> entries_;  // most recently used first; guarded by mu_
  std::size_t hits_ = 0;        // guarded by mu_
};

}  // namespace keyref
