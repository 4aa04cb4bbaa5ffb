// Exact matches of live values too short to fingerprint (4 to 7 bytes), in
// time that does not depend on how much of a value a text matches
// (docs/threat-model.md, "Timing").
//
// std::string_view::find, used before, skips to each occurrence of the
// value's first byte and compares from there: its time grows with how many
// positions match the first byte, the first two, and so on. A prober who
// times redact() could confirm a value one character at a time. Here every
// position costs the same: one 8-byte load, an exclusive-or and a mask,
// whatever the bytes are. The only branch that depends on the text is taken
// on a whole match, which the result shows anyway (the value is redacted).
#include <cstring>

#include "keyref/secret_value.h"
#include "redaction/internal.h"

namespace keyref::redaction {
namespace {

// The 8 bytes at `p` as one word (any alignment, the host's byte order);
// the value's bytes load the same way, so the comparison is order-free.
inline std::uint64_t Load8(const char* p) {
  std::uint64_t w;
  std::memcpy(&w, p, sizeof w);
  return w;
}

// Wipes `size` bytes at `p` however the scope ends (push_back may throw).
struct WipeOnExit {
  void* p;
  std::size_t size;
  ~WipeOnExit() { SecureZero(p, size); }
};

}  // namespace

void FindShortValue(std::string_view text, std::string_view value,
                    std::vector<Redactor::Span>* out) {
  const std::size_t len = value.size();
  if (len < 4 || len > 7 || text.size() < len) return;
  // The value, and a mask of its bytes, in the first `len` bytes of a word.
  char ones[8] = {};
  std::memset(ones, 0xFF, len);
  // `want` holds the value; the compiler may keep a copy of it in this
  // frame, which the caller wipes after the call (WipeShortValueFrame).
  std::uint64_t want = 0;
  {
    char bytes[8] = {};
    WipeOnExit wipe{bytes, sizeof bytes};
    std::memcpy(bytes, value.data(), len);
    want = Load8(bytes);
  }
  const std::uint64_t mask = Load8(ones);

  const std::size_t n = text.size();
  const std::size_t last = n - len;  // the last position a match can start
  std::size_t i = 0;
  // Whole words can be read at positions up to n - 8.
  for (; i + 8 <= n; ++i) {
    if (((Load8(text.data() + i) ^ want) & mask) == 0) {
      out->push_back({i, i + len, i});
    }
  }
  // The last few positions read from a zero-padded copy of the tail (at
  // most 7 + 7 bytes), wiped after: it may hold part of the value.
  if (i <= last) {
    char tail[16] = {};
    WipeOnExit wipe{tail, sizeof tail};
    const std::size_t from = i;
    std::memcpy(tail, text.data() + from, n - from);
    for (; i <= last; ++i) {
      if (((Load8(tail + (i - from)) ^ want) & mask) == 0) {
        out->push_back({i, i + len, i});
      }
    }
  }
}

// Not inlined, so that its frame lies where FindShortValue's lay when both
// are called from the same function: wiping its own locals wipes what
// FindShortValue's frame left there (a spilled copy of the value), and what
// the functions it called (a vector growing: operator new, malloc) saved of
// the registers that held the value. 2 KiB reaches well past those frames.
__attribute__((noinline)) void WipeShortValueFrame() noexcept {
  char frame[2048];
  SecureZero(frame, sizeof frame);
}

}  // namespace keyref::redaction
