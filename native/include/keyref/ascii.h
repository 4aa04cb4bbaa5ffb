// Narrowing a UTF-16 text to bytes when it is ASCII. The addon copies a
// short host string out of V8 as UTF-16 (V8's cheapest copy: a one-byte
// string is widened, a two-byte one copied) and narrows it here, instead of
// asking V8 for UTF-8, whose encoder walks the text a character at a time
// (docs/performance.md, "Redaction, per-call, sixth pass"). Every unit below
// 0x80 is one ASCII character, whose UTF-8 is that byte, so the narrowed
// bytes are exactly the text's UTF-8; any other unit (Latin-1 above 0x7F,
// U+0100 and above, a surrogate, paired or lone) makes the text non-ASCII
// and the caller takes its UTF-8 path instead.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace keyref {

// Writes units[i] as byte out[i] for i < count, where `units` holds `count`
// UTF-16 code units in native byte order (2 * count bytes; no alignment
// needed). Returns true when every unit is below 0x80; otherwise false, and
// `out` holds bytes that mean nothing (the caller discards them). `out` may
// be `units` itself (narrowing in place, front to back: byte i is written
// only after every unit that overlaps it has been read). The time depends on
// `count` only, never on where a non-ASCII unit is (no early exit).
inline bool NarrowAscii(const void* units, std::size_t count, char* out) {
  const auto* in = static_cast<const unsigned char*>(units);
#if defined(__SSE2__)
  if (count >= 16) {
    // The last 16 units are loaded before anything is stored and narrowed
    // after the loop, over bytes it wrote already (the same values): no
    // scalar tail of up to 15 units (a short text's fixed cost,
    // docs/performance.md, "per-call, eighth pass").
    const __m128i tail_lo =
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + 2 * count - 32));
    const __m128i tail_hi =
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + 2 * count - 16));
    __m128i acc = _mm_or_si128(tail_lo, tail_hi);
    for (std::size_t i = 0; i + 16 <= count; i += 16) {
      // Both loads come before the store: the store's 16 bytes lie below
      // every byte a later iteration reads (2 * (i + 16) >= i + 16).
      const __m128i lo =
          _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + 2 * i));
      const __m128i hi =
          _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + 2 * i + 16));
      acc = _mm_or_si128(acc, _mm_or_si128(lo, hi));
      // Saturates units above 0xFF; those are caught by `acc` anyway.
      _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i),
                       _mm_packus_epi16(lo, hi));
    }
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + count - 16),
                     _mm_packus_epi16(tail_lo, tail_hi));
    // Any unit with a bit at or above 0x80 set.
    const __m128i high = _mm_and_si128(acc, _mm_set1_epi16(-0x80));
    return _mm_movemask_epi8(_mm_cmpeq_epi16(high, _mm_setzero_si128())) ==
           0xFFFF;
  }
#endif
  std::uint16_t any = 0;
  for (std::size_t i = 0; i < count; ++i) {
    std::uint16_t u;
    std::memcpy(&u, in + 2 * i, sizeof u);
    any |= static_cast<std::uint16_t>(u & 0xFF80);
    out[i] = static_cast<char>(u);
  }
  return any == 0;
}

}  // namespace keyref
