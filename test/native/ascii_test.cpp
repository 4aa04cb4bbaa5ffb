// NarrowAscii (keyref/ascii.h): the addon's copy of a short ASCII text out
// of V8 (addon/src/sidecar_redact.cc). It must say "ASCII" exactly when
// every unit is below 0x80, and then write each unit as its byte, in place
// or not, at every length and alignment: with SSE2, the scalar loop below
// 16 units, and from 16 the vector loop with its last 16 units narrowed
// after it; without SSE2, the scalar loop.
#include "keyref/ascii.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

namespace keyref {
namespace {

// The definition, one unit at a time.
bool ReferenceAscii(const std::vector<char16_t>& units) {
  for (char16_t u : units) {
    if (u >= 0x80) return false;
  }
  return true;
}

std::vector<char16_t> AsciiUnits(std::size_t count) {
  std::vector<char16_t> units(count);
  for (std::size_t i = 0; i < count; ++i) {
    units[i] = static_cast<char16_t>(0x20 + (i * 7) % 0x5F);  // printable
  }
  return units;
}

// Checks both forms (into another buffer, and in place at a given offset
// into the buffer, so unaligned too) against the definition.
void Check(const std::vector<char16_t>& units, std::size_t offset) {
  const bool want = ReferenceAscii(units);
  std::string out(units.size(), '\xAA');
  ASSERT_EQ(NarrowAscii(units.data(), units.size(), out.data()), want);
  // In place, at `offset` bytes into a buffer.
  std::vector<char> buf(offset + 2 * units.size() + 1);
  if (!units.empty()) {
    std::memcpy(buf.data() + offset, units.data(), 2 * units.size());
  }
  ASSERT_EQ(NarrowAscii(buf.data() + offset, units.size(), buf.data() + offset),
            want);
  if (!want) return;
  for (std::size_t i = 0; i < units.size(); ++i) {
    ASSERT_EQ(static_cast<unsigned char>(out[i]), units[i]) << i;
    ASSERT_EQ(static_cast<unsigned char>(buf[offset + i]), units[i]) << i;
  }
}

TEST(NarrowAscii, AsciiTextsOfEveryLengthAreNarrowedExactly) {
  for (std::size_t count = 0; count <= 130; ++count) {
    for (std::size_t offset : {0, 1, 2, 3}) {
      SCOPED_TRACE(count);
      Check(AsciiUnits(count), offset);
    }
  }
  // Every unit below 0x80, NUL and DEL included.
  std::vector<char16_t> all(128);
  for (std::size_t i = 0; i < all.size(); ++i) {
    all[i] = static_cast<char16_t>(i);
  }
  Check(all, 0);
}

TEST(NarrowAscii, OneNonAsciiUnitAnywhereIsFound) {
  // Latin-1 above 0x7F, units whose low byte is ASCII (U+0141 'Ł' would
  // narrow to 'A'), surrogates, and the largest unit.
  const char16_t bad[] = {0x80,   0xE9,   0xFF,   0x100,  0x141,
                          0x7F41, 0x8000, 0xD800, 0xDC00, 0xFFFF};
  for (std::size_t count = 1; count <= 70; ++count) {
    for (std::size_t at = 0; at < count; ++at) {
      for (char16_t u : bad) {
        std::vector<char16_t> units = AsciiUnits(count);
        units[at] = u;
        SCOPED_TRACE(testing::Message() << count << " " << at << " " << u);
        Check(units, count % 4);
      }
    }
  }
}

}  // namespace
}  // namespace keyref
