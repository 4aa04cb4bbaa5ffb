// KeyScrubber: removes one key from text handed back to JavaScript. It
// replaces the exact value and every run of 8 or more consecutive characters
// of it (providers echo fragments: "Incorrect API key provided: sk-abc…xyz")
// with kRedactedMarker. The request builder runs it on everything it returns
// for the request that used the key, before the instance's Redactor, so the
// rule holds whatever the Redactor does.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "keyref/secret_value.h"

namespace keyref {

class KeyScrubber {
 public:
  // Minimum length of a run of the key's characters that is scrubbed.
  static constexpr std::size_t kMinRun = 8;

  KeyScrubber() = default;
  // Builds the lookup table from `key`. The table is key material (every
  // 8-byte window of the key) and is wiped with SecureZero on destruction;
  // keys shorter than kMinRun are kept, in a SecretValue, for exact matching.
  explicit KeyScrubber(const SecretValue& key);
  ~KeyScrubber();
  KeyScrubber(const KeyScrubber&) = delete;
  KeyScrubber& operator=(const KeyScrubber&) = delete;
  KeyScrubber(KeyScrubber&& other) noexcept;
  KeyScrubber& operator=(KeyScrubber&& other) noexcept;

  // Scrubs `text`. Returns false, leaving *out untouched, when nothing
  // matched. Linear in the text (one table probe per byte).
  bool Scrub(std::string_view text, std::string* out) const;
  // Scrubs `*text` in place.
  void ScrubInPlace(std::string* text) const;

  bool empty() const { return slots_ == 0 && short_key_.empty(); }

 private:
  bool Has(std::uint64_t gram) const;
  void Wipe() noexcept;

  // Open-addressing set of the key's 8-byte windows; 0 marks an empty slot
  // (a window of eight NUL bytes cannot occur: keys hold no control bytes).
  // The windows are the key itself, so the table lives in SecretValue
  // storage (locked, excluded from core dumps, wiped, move-only), never on
  // the ordinary heap. table_ points into table_mem_ (page-aligned).
  SecretValue table_mem_;
  std::uint64_t* table_ = nullptr;
  std::size_t slots_ = 0;
  std::uint64_t mask_ = 0;
  SecretValue short_key_;
};

}  // namespace keyref
