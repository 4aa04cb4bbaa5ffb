// The plain reference the scans of fingerprinted runs are checked against
// (test/native/secret_runs_test.cpp, test/fuzz/short_runs_fuzz.cpp; its
// Base64 also serves test/native/redactor_test.cpp): every
// window of every length the set holds, at every position, hashed whole and
// merged as ScanRuns merges; and the base64 forms windows of a set are cut
// from (FingerprintValue fingerprints them). Nothing here skips a position
// or shares work between windows, so it is slow and plainly right.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "redaction/internal.h"

namespace keyref::redaction {

// Every window of every length, at every position, merged as ScanRuns
// merges (overlapping or touching windows join one run).
inline std::vector<Redactor::Span> EveryWindowRuns(const PrintSet& set,
                                                   std::string_view t) {
  std::vector<Redactor::Span> out;
  std::size_t rb = 0, re = 0;
  bool open = false;
  for (std::size_t e = 1; e <= t.size(); ++e) {
    for (std::uint8_t len : set.lengths) {
      if (len > e) break;
      const std::size_t b = e - len;
      if (!set.Has(SipHash64(set.keys.k0, set.keys.k1, t.substr(b, len)))) {
        continue;
      }
      if (open && b <= re) {
        rb = std::min(rb, b);
        re = e;
      } else {
        if (open) out.push_back({rb, re, rb});
        rb = b;
        re = e;
        open = true;
      }
    }
  }
  if (open) out.push_back({rb, re, rb});
  return out;
}

// Padded base64 of `in` (base64url when `url`).
inline std::string Base64(std::string_view in, bool url) {
  const char* abc =
      url ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
          : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    std::uint32_t v = (std::uint8_t(in[i]) << 16) |
                      (std::uint8_t(in[i + 1]) << 8) | std::uint8_t(in[i + 2]);
    for (int s : {18, 12, 6, 0}) out.push_back(abc[(v >> s) & 63]);
  }
  if (i < in.size()) {
    std::uint32_t v = std::uint8_t(in[i]) << 16;
    if (i + 1 < in.size()) v |= std::uint8_t(in[i + 1]) << 8;
    out.push_back(abc[v >> 18]);
    out.push_back(abc[(v >> 12) & 63]);
    if (i + 1 < in.size()) out.push_back(abc[(v >> 6) & 63]);
    out.append(i + 1 < in.size() ? "=" : "==");
  }
  return out;
}

}  // namespace keyref::redaction
