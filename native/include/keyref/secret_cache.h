// The per-instance cache of resolved secrets (policy.cacheTtlMs). Values
// stay in SecretValue (locked, wiped pages); an expired value is wiped by a
// sweeper thread at its expiry, not at the next lookup. Off when the TTL
// is 0: nothing is kept and no thread runs.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "keyref/secret_value.h"

namespace keyref {

class SecretCache {
 public:
  explicit SecretCache(std::chrono::milliseconds ttl);
  ~SecretCache();
  SecretCache(const SecretCache&) = delete;
  SecretCache& operator=(const SecretCache&) = delete;

  bool enabled() const noexcept { return ttl_.count() > 0; }

  // A copy (fresh locked pages) of the live entry for `key`, or an empty
  // value when there is none.
  SecretValue Get(const std::string& key);
  // True when a live entry exists; no copy is made (check()'s fast path).
  bool Contains(const std::string& key);
  // Keeps a copy of `value` until now + ttl.
  void Put(const std::string& key, const SecretValue& value);
  // The same, unless an Erase ran since `epoch` was read (Epoch()). A
  // resolution reads Epoch() before it asks the source: a store or delete
  // that runs while the source answers erases the entry before and after
  // its write, and the value read before or during that write must not be
  // cached after it (it would outlive the write for a whole TTL).
  void PutUnlessErasedSince(const std::string& key, const SecretValue& value,
                            std::uint64_t epoch);
  std::uint64_t Epoch();
  // Wipes the entry (storeSecret / deleteSecret on the same ref).
  void Erase(const std::string& key);
  // Wipes everything and stops the sweeper (close()). Idempotent.
  void Clear() noexcept;
  // Entries held now (tests).
  std::size_t size();

 private:
  using Clock = std::chrono::steady_clock;
  struct Entry {
    SecretValue value;
    Clock::time_point expiry;
  };
  void Sweep();

  const std::chrono::milliseconds ttl_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, Entry> entries_;
  bool stopped_ = false;
  std::uint64_t erases_ = 0;  // Erase calls so far (the epoch)
  std::thread sweeper_;
};

}  // namespace keyref
