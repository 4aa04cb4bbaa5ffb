// Helpers shared by the libFuzzer targets (test/fuzz/*_fuzz.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace keyref::fuzz {

// True when two lists of spans (anything with begin and end) match one for
// one: the comparison of the differential targets.
template <typename T>
bool SameSpans(const std::vector<T>& a, const std::vector<T>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].begin != b[i].begin || a[i].end != b[i].end) return false;
  }
  return true;
}

// Reads bytes from the front of the fuzzer's input; once it is used up,
// every read yields zero, so a target never reads past the input.
class Input {
 public:
  Input(const std::uint8_t* data, std::size_t size)
      : data_(data), size_(size) {}
  std::uint8_t Byte() { return pos_ < size_ ? data_[pos_++] : 0; }
  // A value in [lo, hi].
  std::size_t Range(std::size_t lo, std::size_t hi) {
    std::size_t v = static_cast<std::size_t>(Byte()) << 8 | Byte();
    return lo + v % (hi - lo + 1);
  }
  // The rest of the input.
  std::string_view Rest() {
    std::string_view r(reinterpret_cast<const char*>(data_) + pos_,
                       size_ - pos_);
    pos_ = size_;
    return r;
  }
  std::string_view Take(std::size_t n) {
    n = n < size_ - pos_ ? n : size_ - pos_;
    std::string_view r(reinterpret_cast<const char*>(data_) + pos_, n);
    pos_ += n;
    return r;
  }
  std::size_t left() const { return size_ - pos_; }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

// A property failed: print why (never a secret: targets plant synthetic
// values) and abort, which libFuzzer records as a crash with the input.
[[noreturn]] inline void Fail(const char* what) {
  std::fprintf(stderr, "property violated: %s\n", what);
  std::abort();
}

inline void Check(bool ok, const char* what) {
  if (!ok) Fail(what);
}

}  // namespace keyref::fuzz
