#include "keyref/secret_cache.h"

namespace keyref {

SecretCache::SecretCache(std::chrono::milliseconds ttl) : ttl_(ttl) {}

SecretCache::~SecretCache() { Clear(); }

SecretValue SecretCache::Get(const std::string& key) {
  if (!enabled()) return {};
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.expiry <= Clock::now()) return {};
  return it->second.value.Clone();
}

bool SecretCache::Contains(const std::string& key) {
  if (!enabled()) return false;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(key);
  return it != entries_.end() && it->second.expiry > Clock::now();
}

void SecretCache::Put(const std::string& key, const SecretValue& value) {
  PutUnlessErasedSince(key, value, Epoch());
}

std::uint64_t SecretCache::Epoch() {
  std::lock_guard<std::mutex> lock(mu_);
  return erases_;
}

void SecretCache::PutUnlessErasedSince(const std::string& key,
                                       const SecretValue& value,
                                       std::uint64_t epoch) {
  if (!enabled()) return;
  SecretValue copy = value.Clone();
  std::lock_guard<std::mutex> lock(mu_);
  if (stopped_ || erases_ != epoch) return;
  entries_[key] = Entry{std::move(copy), Clock::now() + ttl_};
  // The sweeper starts with the first entry and wakes at each expiry.
  if (!sweeper_.joinable()) sweeper_ = std::thread([this] { Sweep(); });
  cv_.notify_all();
}

void SecretCache::Erase(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  ++erases_;
  entries_.erase(key);  // ~SecretValue wipes
}

void SecretCache::Clear() noexcept {
  std::thread t;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopped_ = true;
    entries_.clear();
    t = std::move(sweeper_);
    cv_.notify_all();
  }
  if (t.joinable()) t.join();
}

std::size_t SecretCache::size() {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_.size();
}

void SecretCache::Sweep() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopped_) {
    Clock::time_point next = Clock::time_point::max();
    const Clock::time_point now = Clock::now();
    for (auto it = entries_.begin(); it != entries_.end();) {
      if (it->second.expiry <= now) {
        it = entries_.erase(it);  // wiped at expiry
      } else {
        if (it->second.expiry < next) next = it->second.expiry;
        ++it;
      }
    }
    if (next == Clock::time_point::max()) {
      cv_.wait(lock);
    } else {
      cv_.wait_until(lock, next);
    }
  }
}

}  // namespace keyref
