// SecretValue: the only type that ever holds a secret's bytes.
//
// docs/invariants.md, "Native-only secret lifetime": between resolution and the
// socket write a secret lives only here. The type is move-only, has no stream
// or fmt formatter and no conversion to std::string; its bytes sit in their own
// anonymous pages, locked in RAM (mlock) and excluded from core dumps
// (MADV_DONTDUMP) where the OS allows, and are wiped with explicit_bzero,
// which the compiler may not elide, before the pages are returned.
#pragma once

#include <cstddef>
#include <string_view>

namespace keyref {

class SecretValue {
 public:
  SecretValue() noexcept = default;
  // Copies `bytes` into locked pages. The caller wipes its own copy.
  static SecretValue FromBytes(const char* data, std::size_t size);

  SecretValue(const SecretValue&) = delete;
  SecretValue& operator=(const SecretValue&) = delete;
  SecretValue(SecretValue&& other) noexcept;
  SecretValue& operator=(SecretValue&& other) noexcept;
  ~SecretValue();

  // Appends bytes, growing into new locked pages; the old pages are wiped.
  // Used to read a child process's stdout straight into a secret.
  void Append(const char* data, std::size_t size);
  // Drops trailing bytes (e.g. the newline `pass show` prints).
  void Truncate(std::size_t size) noexcept;
  // Wipes and frees now.
  void Wipe() noexcept;

  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }

  // The bytes, for the few places that must see them: the request builder
  // writing a header, the redactor registering fingerprints, and validation.
  // Never copy the result into a std::string that outlives the call.
  std::string_view Reveal() const noexcept { return {data_, size_}; }

  // Whether mlock / MADV_DONTDUMP succeeded for the current pages. A failure
  // is not fatal; the owner logs it (without the value).
  bool locked() const noexcept { return locked_; }
  bool dump_excluded() const noexcept { return dump_excluded_; }

  // A copy in fresh pages: explicit, so that copies are visible in review.
  SecretValue Clone() const;

  // Constant-time comparison.
  bool Equals(const SecretValue& other) const noexcept;

 private:
  void Reserve(std::size_t capacity);

  char* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;  // bytes mapped
  // Bytes [0, dirty_) of the mapping may have held secret bytes; the rest is
  // still zero (fresh or pooled pages are zero), so Wipe zeroes only these.
  std::size_t dirty_ = 0;
  bool locked_ = false;
  bool dump_excluded_ = false;
};

// Wipes `size` bytes at `p` in a way the optimiser cannot remove.
void SecureZero(void* p, std::size_t size) noexcept;

}  // namespace keyref
