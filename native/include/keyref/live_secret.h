// LiveSecret: a resolved secret that the instance's redactor knows about.
// Registered with the redactor when made, forgotten and wiped when destroyed,
// so that for as long as the value exists in native memory any output that
// echoes it is scrubbed (and afterwards, by its fingerprints).
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>

#include "keyref/error.h"
#include "keyref/redactor.h"
#include "keyref/secret_value.h"

namespace keyref {

class LiveSecret {
 public:
  LiveSecret(SecretValue value, Redactor& redactor)
      : value_(std::move(value)),
        redactor_(&redactor),
        id_(redactor.Register(value_)) {}
  LiveSecret(const LiveSecret&) = delete;
  LiveSecret& operator=(const LiveSecret&) = delete;
  LiveSecret(LiveSecret&& other) noexcept
      : value_(std::move(other.value_)),
        redactor_(other.redactor_),
        id_(other.id_) {
    other.redactor_ = nullptr;
  }
  LiveSecret& operator=(LiveSecret&&) = delete;
  ~LiveSecret() {
    if (redactor_) redactor_->Forget(id_);
    value_.Wipe();
  }

  const SecretValue& value() const noexcept { return value_; }

 private:
  SecretValue value_;
  Redactor* redactor_;
  std::uint64_t id_;
};

// The longest value keyref resolves or stores: 64 KiB. API keys, JWTs and
// service-account JSON fit; a larger value is refused (SECRET_MALFORMED)
// before it is cached or fingerprinted, so a hostile or broken store cannot
// make keyref spend memory and CPU in proportion to what it returns
// (docs/threat-model.md, "Bounded resources").
inline constexpr std::size_t kMaxSecretBytes = 64 * 1024;

// SECRET_MALFORMED when a value of `size` bytes is over kMaxSecretBytes.
// Sources that receive a value whole (the host store) call it before they
// copy the value at all.
Status CheckSecretSize(std::size_t size);

// Checks a resolved value can travel in an HTTP header: not empty, at most
// kMaxSecretBytes, and no CR, LF, NUL or other control character. Returns
// SECRET_MALFORMED otherwise (the message names the rule, never the value).
Status ValidateSecretValue(const SecretValue& value);

}  // namespace keyref
