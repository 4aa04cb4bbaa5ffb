// The redactor: the one place every string keyref hands out passes through
// (responses, events, errors, log lines). See docs/security.md.
//
// It replaces with kRedactedMarker: every live secret value and its common
// encodings, any run of 8 or more of a secret's characters, values resolved
// earlier in the process (by keyed fingerprints, never the values), credential
// shapes, and the values of credential headers. Nothing about the set of live
// values, not even its size, is exposed.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "keyref/secret_value.h"

namespace keyref {

inline constexpr std::string_view kRedactedMarker = "[REDACTED]";

class Redactor {
 public:
  Redactor();
  ~Redactor();
  Redactor(const Redactor&) = delete;
  Redactor& operator=(const Redactor&) = delete;

  // Registers a value that is live in this instance (called when it is
  // resolved). Also records its process-lifetime fingerprints. Thread-safe.
  // Returns an id for Forget.
  std::uint64_t Register(const SecretValue& value);
  // Forgets a live value (called when it is wiped). Its fingerprints stay.
  void Forget(std::uint64_t id) noexcept;
  // Forgets every live value (close()).
  void ForgetAll() noexcept;

  // Scrubs `text`. Returns false, leaving *out untouched, when nothing needed
  // replacing (so callers can hand the original on without a copy).
  bool Scrub(std::string_view text, std::string* out) const;
  // Scrub, always returning a string.
  std::string Redact(std::string_view text) const;
  // True when Scrub would change `text`.
  bool Contains(std::string_view text) const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace keyref
