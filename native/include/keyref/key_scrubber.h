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

#include <cstddef>
#include <cstdint>
#include <memory>
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
  void Wipe() noexcept;

  std::shared_ptr<const redaction::PrintSet> prints_;
  SecretValue short_key_;
};

}  // namespace keyref
