#include "keyref/key_scrubber.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "keyref/redactor.h"
#include "redaction/internal.h"

namespace keyref {

KeyScrubber::KeyScrubber(const SecretValue& key) {
  std::string_view k = key.Reveal();
  if (k.size() < redaction::kMinFingerprinted) {
    if (!k.empty()) short_key_ = key.Clone();
    return;
  }
  const redaction::Keys keys = redaction::Keys::Random();
  redaction::ValuePrints prints;
  redaction::FingerprintValue(keys, k, &prints);
  prints_ = redaction::PrintSet::Build(keys, {&prints});
}

KeyScrubber::~KeyScrubber() { Wipe(); }

KeyScrubber::KeyScrubber(KeyScrubber&& other) noexcept
    : prints_(std::move(other.prints_)),
      short_key_(std::move(other.short_key_)) {}

KeyScrubber& KeyScrubber::operator=(KeyScrubber&& other) noexcept {
  if (this != &other) {
    Wipe();
    prints_ = std::move(other.prints_);
    short_key_ = std::move(other.short_key_);
  }
  return *this;
}

void KeyScrubber::Wipe() noexcept {
  prints_.reset();
  short_key_.Wipe();
}

bool KeyScrubber::Scrub(std::string_view text, std::string* out) const {
  std::vector<Redactor::Span> spans;
  if (!short_key_.empty()) {
    std::string_view k = short_key_.Reveal();
    if (k.size() >= 4) {
      // In time that depends on the text and whole matches only, as the
      // redactor's (docs/threat-model.md, "Timing"): string_view::find's
      // time grew with how much of the key each position matched, so a
      // server timing its echoes could confirm a short key a character at
      // a time.
      redaction::FindShortValue(text, k, &spans);
      redaction::WipeShortValueFrame();
    } else {
      // 1 to 3 bytes: guessing it whole costs no more than guessing a part.
      for (std::size_t pos = text.find(k); pos != std::string_view::npos;
           pos = text.find(k, pos + k.size())) {
        spans.push_back({pos, pos + k.size(), pos});
      }
    }
  } else if (prints_) {
    redaction::FindSecretRuns(*prints_, text, &spans);
  }
  if (spans.empty()) return false;
  Redactor::MergeSpans(text, &spans);
  Redactor::Render(text, spans, out);
  return true;
}

void KeyScrubber::ScrubInPlace(std::string* text) const {
  std::string out;
  if (Scrub(*text, &out)) *text = std::move(out);
}

// ---- KeyScrubberCache -----------------------------------------------------

KeyScrubberCache::KeyScrubberCache(std::size_t max_entries,
                                   Clock::duration max_idle,
                                   std::function<Clock::time_point()> now)
    : max_entries_(max_entries), max_idle_(max_idle), now_(std::move(now)) {
  std::uint64_t key[2];
  redaction::RandomWords(key, 2);
  k0_ = key[0];
  k1_ = key[1];
  SecureZero(key, sizeof key);
}

void KeyScrubberCache::DropIdle(Clock::time_point now) {
  entries_.erase(std::remove_if(entries_.begin(), entries_.end(),
                                [&](const Entry& e) {
                                  return now - e.last_use > max_idle_;
                                }),
                 entries_.end());
}

KeyScrubber KeyScrubberCache::For(const SecretValue& key) {
  std::string_view k = key.Reveal();
  // A short key's scrubber holds the key itself: never kept here. A long
  // one's fingerprints would make the entries large.
  if (k.size() < redaction::kMinFingerprinted ||
      k.size() > kMaxCachedKeyBytes || max_entries_ == 0) {
    return KeyScrubber(key);
  }
  // A keyed digest of the whole key, never the key (as FingerprintStore).
  std::uint64_t lo = 0;
  std::uint64_t hi = 0;
  redaction::SipHash128(k0_, k1_, k, &lo, &hi);
  std::uint64_t generation = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    generation = generation_;
    const Clock::time_point now = Now();
    DropIdle(now);
    for (auto it = entries_.begin(); it != entries_.end(); ++it) {
      if (it->lo == lo && it->hi == hi) {  // all 128 bits
        std::shared_ptr<const redaction::PrintSet> prints = it->prints;
        it->last_use = now;
        std::rotate(entries_.begin(), it, it + 1);  // most recent first
        ++hits_;
        return KeyScrubber(std::move(prints));
      }
    }
  }
  // Built without the lock (tens of microseconds): other requests go on.
  KeyScrubber fresh(key);
  if (built_hook_) built_hook_();
  std::lock_guard<std::mutex> lock(mu_);
  // Cleared or closed meanwhile: the value may be the key just replaced or
  // deleted (Instance::Store, Delete), or the client is closed. Not kept.
  if (closed_ || generation_ != generation) return fresh;
  const Clock::time_point now = Now();
  for (Entry& e : entries_) {
    // Another request built it meanwhile: keep one entry.
    if (e.lo == lo && e.hi == hi) return fresh;
  }
  entries_.insert(entries_.begin(), Entry{lo, hi, fresh.prints_, now});
  if (entries_.size() > max_entries_) entries_.resize(max_entries_);
  return fresh;
}

void KeyScrubberCache::Clear() {
  std::lock_guard<std::mutex> lock(mu_);
  entries_.clear();
  ++generation_;
}

void KeyScrubberCache::Close() {
  std::lock_guard<std::mutex> lock(mu_);
  entries_.clear();
  ++generation_;
  closed_ = true;
}

std::size_t KeyScrubberCache::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_.size();
}

std::size_t KeyScrubberCache::hits() const {
  std::lock_guard<std::mutex> lock(mu_);
  return hits_;
}

}  // namespace keyref
