#include "keyref/sse_batch.h"

#include <cstring>

namespace keyref {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Length of the ASCII prefix of [p, end), 8 bytes at a time.
std::size_t AsciiPrefix(const unsigned char* p, const unsigned char* end) {
  const unsigned char* start = p;
  while (end - p >= 8) {
    std::uint64_t word;
    std::memcpy(&word, p, 8);
    if (word & 0x8080808080808080ull) break;
    p += 8;
  }
  while (p < end && *p < 0x80) ++p;
  return static_cast<std::size_t>(p - start);
}

// The bytes of one well-formed sequence starting at p (1 to 4), or 0 when
// the sequence is ill-formed; then *subpart is the length of its maximal
// subpart (the bytes one U+FFFD replaces: at least 1). Ranges from the
// Unicode Standard, table 3-7.
std::size_t Sequence(const unsigned char* p, const unsigned char* end,
                     std::size_t* subpart) {
  const unsigned char b = p[0];
  std::size_t need;
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;
  if (b < 0x80) return 1;
  if (b >= 0xC2 && b <= 0xDF) {
    need = 1;
  } else if (b >= 0xE0 && b <= 0xEF) {
    need = 2;
    if (b == 0xE0) lo = 0xA0;
    if (b == 0xED) hi = 0x9F;
  } else if (b >= 0xF0 && b <= 0xF4) {
    need = 3;
    if (b == 0xF0) lo = 0x90;
    if (b == 0xF4) hi = 0x8F;
  } else {
    *subpart = 1;
    return 0;
  }
  std::size_t i = 1;
  for (; i <= need; ++i) {
    if (p + i >= end || p[i] < lo || p[i] > hi) {
      *subpart = i;
      return 0;
    }
    lo = 0x80;
    hi = 0xBF;
  }
  return i;
}

}  // namespace

std::size_t AppendUtf8ForJs(std::string_view in, std::string* out) {
  const auto* p = reinterpret_cast<const unsigned char*>(in.data());
  const auto* end = p + in.size();
  std::size_t units = 0;
  while (p < end) {
    std::size_t ascii = AsciiPrefix(p, end);
    out->append(reinterpret_cast<const char*>(p), ascii);
    units += ascii;
    p += ascii;
    if (p == end) break;
    std::size_t subpart = 0;
    std::size_t n = Sequence(p, end, &subpart);
    if (n == 0) {
      out->append(kReplacement);
      units += 1;
      p += subpart;
      continue;
    }
    out->append(reinterpret_cast<const char*>(p), n);
    units += n == 4 ? 2 : 1;  // a supplementary code point: a surrogate pair
    p += n;
  }
  return units;
}

void SseBatch::Append(const SseEvent& event) {
  for (const std::string* field : {&event.data, &event.event, &event.id}) {
    units_ += AppendUtf8ForJs(*field, &text_);
    ends_.push_back(static_cast<std::uint32_t>(units_));
  }
}

void SseBatch::Append(const SseBatch& other) {
  text_.append(other.text_);
  for (std::uint32_t end : other.ends_) {
    ends_.push_back(static_cast<std::uint32_t>(units_ + end));
  }
  units_ += other.units_;
}

void SseBatch::Clear() {
  text_.clear();
  ends_.clear();
  units_ = 0;
}

}  // namespace keyref
