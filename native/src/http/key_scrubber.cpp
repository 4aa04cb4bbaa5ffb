#include "keyref/key_scrubber.h"

#include <cstring>
#include <utility>

#include "keyref/redactor.h"

namespace keyref {
namespace {

inline std::uint64_t Load8(const char* p) {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

inline std::uint64_t Mix(std::uint64_t v) {
  v ^= v >> 33;
  v *= 0xff51afd7ed558ccdULL;
  v ^= v >> 33;
  return v;
}

}  // namespace

KeyScrubber::KeyScrubber(const SecretValue& key) {
  std::string_view k = key.Reveal();
  if (k.size() < kMinRun) {
    if (!k.empty()) short_key_ = key.Clone();
    return;
  }
  std::size_t grams = k.size() - kMinRun + 1;
  std::size_t cap = 16;
  while (cap < grams * 2) cap <<= 1;
  // Zeroed SecretValue pages: the mapping is page-aligned, so it can hold
  // the uint64 slots directly. Every byte counts as written (size() covers
  // the whole table), so SecretValue::Wipe zeroes all of it.
  std::string zeros(cap * sizeof(std::uint64_t), '\0');
  table_mem_ = SecretValue::FromBytes(zeros.data(), zeros.size());
  table_ = reinterpret_cast<std::uint64_t*>(
      const_cast<char*>(table_mem_.Reveal().data()));
  slots_ = cap;
  mask_ = cap - 1;
  for (std::size_t i = 0; i < grams; ++i) {
    std::uint64_t g = Load8(k.data() + i);
    if (g == 0) continue;
    for (std::uint64_t h = Mix(g) & mask_;; h = (h + 1) & mask_) {
      if (table_[h] == g) break;
      if (table_[h] == 0) {
        table_[h] = g;
        break;
      }
    }
  }
}

KeyScrubber::~KeyScrubber() { Wipe(); }

KeyScrubber::KeyScrubber(KeyScrubber&& other) noexcept
    : table_mem_(std::move(other.table_mem_)),
      table_(std::exchange(other.table_, nullptr)),
      slots_(std::exchange(other.slots_, 0)),
      mask_(std::exchange(other.mask_, 0)),
      short_key_(std::move(other.short_key_)) {}

KeyScrubber& KeyScrubber::operator=(KeyScrubber&& other) noexcept {
  if (this != &other) {
    Wipe();
    // Moving a SecretValue moves its pages, so table_ stays valid.
    table_mem_ = std::move(other.table_mem_);
    table_ = std::exchange(other.table_, nullptr);
    slots_ = std::exchange(other.slots_, 0);
    mask_ = std::exchange(other.mask_, 0);
    short_key_ = std::move(other.short_key_);
  }
  return *this;
}

void KeyScrubber::Wipe() noexcept {
  // The table holds every 8-byte window of the key: SecretValue::Wipe zeroes
  // it before the pages are released.
  table_mem_.Wipe();
  table_ = nullptr;
  slots_ = 0;
  mask_ = 0;
  short_key_.Wipe();
}

bool KeyScrubber::Has(std::uint64_t gram) const {
  for (std::uint64_t h = Mix(gram) & mask_;; h = (h + 1) & mask_) {
    if (table_[h] == gram) return true;
    if (table_[h] == 0) return false;
  }
}

bool KeyScrubber::Scrub(std::string_view text, std::string* out) const {
  if (!short_key_.empty()) {
    std::string_view k = short_key_.Reveal();
    std::size_t pos = text.find(k);
    if (pos == std::string_view::npos) return false;
    std::string result;
    std::size_t last = 0;
    for (; pos != std::string_view::npos; pos = text.find(k, last)) {
      result.append(text.data() + last, pos - last);
      result.append(kRedactedMarker);
      last = pos + k.size();
    }
    result.append(text.data() + last, text.size() - last);
    *out = std::move(result);
    return true;
  }
  if (slots_ == 0 || text.size() < kMinRun) return false;
  // Every window that is a window of the key is covered; overlapping and
  // touching windows merge into one span, so a run of N >= 8 characters of
  // the key becomes a single marker.
  std::string result;
  bool changed = false;
  std::size_t copied = 0;
  std::size_t i = 0;
  const std::size_t last_start = text.size() - kMinRun;
  while (i <= last_start) {
    if (!Has(Load8(text.data() + i))) {
      ++i;
      continue;
    }
    std::size_t span_end = i + kMinRun;
    std::size_t j = i + 1;
    // Any window starting inside (or right at the end of) the span that is
    // a window of the key extends it.
    while (j <= last_start && j <= span_end) {
      if (Has(Load8(text.data() + j))) span_end = j + kMinRun;
      ++j;
    }
    if (!changed) {
      result.reserve(text.size());
      changed = true;
    }
    result.append(text.data() + copied, i - copied);
    result.append(kRedactedMarker);
    copied = span_end;
    i = span_end;
  }
  if (!changed) return false;
  result.append(text.data() + copied, text.size() - copied);
  *out = std::move(result);
  return true;
}

void KeyScrubber::ScrubInPlace(std::string* text) const {
  std::string out;
  if (Scrub(*text, &out)) *text = std::move(out);
}

}  // namespace keyref
