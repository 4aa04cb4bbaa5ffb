// Internal to the core: the credential-shape scan with its byte classes
// shared, so that the redactor classifies each byte of a text once for all
// of its rules (native/src/redaction/one_pass.cpp) instead of once per rule.
// Not part of the public interface (keyref/credential_shape.h is).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "keyref/credential_shape.h"

namespace keyref::shape_scan {

// The classes of the bytes of one 64-byte block of a text: bit k stands for
// byte k of the block. Bits past the end of the text are 0.
struct BlockMasks {
  std::uint64_t run = 0;    // A-Z a-z 0-9 - _ + / =
  std::uint64_t alnum = 0;  // A-Z a-z 0-9
  // A byte that may start a shape with the byte after it: a filter, which
  // keeps every pair a shape can start with and lets a few others through
  // (credential_shape.cpp, kPairBuckets; SSE2 looks at the first byte
  // only). Bit 63 looks at the byte only (its next byte is in the next
  // block); the bit of a text's last byte may be clear (no shape starts
  // there). The scan checks each candidate's two bytes again.
  std::uint64_t pair = 0;
  std::uint64_t equals = 0;  // =
  std::uint64_t colon = 0;   // :
  // A byte a credential name's value may follow: a quote or a blank, or the
  // last of two letters a credential name ends with (on en ey ie et rd wd,
  // either case); bit 0 may be set after any byte (its byte before is in
  // the block before). A filter for the header rule, which checks again:
  // SSE2 sets it at every n y e t d.
  std::uint64_t name_end = 0;
  std::uint64_t escape = 0;  // \ %
};

// keyref::FindCredentialShapes (the same matches), handing the masks of
// every block of `text`, in order, to `observer->OnBlock(block, len,
// masks)` as it goes (`block` is the offset of the block in the text, `len`
// its length: 64 but for the last block). A template, not a virtual call:
// the observer's work is inlined into the scan's loop. Instantiated in
// credential_shape.cpp for the observers of the redactor's one pass
// (redaction/one_pass_observers.h), the only ones.
template <class Observer>
void FindCredentialShapes(std::string_view text,
                          std::vector<CredentialMatch>* out,
                          Observer* observer);

// The masks of the `len` bytes at `b` (1 to 64; bits past `len` 0) as the
// scan computes them for a block of a text on this CPU (AVX-512BW or AVX2,
// the CPU's best; AVX2 under UseAvx2ShapeScanForTesting; the baseline under
// UseBaselineShapeScanForTesting). `after_text`: 64 - len bytes of the text
// come before `b`. Reads no byte outside the text. For tests, which compare
// them with a byte-by-byte definition.
BlockMasks ClassifyForTesting(const unsigned char* b, std::size_t len = 64,
                              bool after_text = false);

}  // namespace keyref::shape_scan
