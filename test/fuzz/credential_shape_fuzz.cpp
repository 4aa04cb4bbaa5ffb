// Fuzzes the credential-shape detector. Properties: spans are in bounds,
// non-empty, ordered and disjoint, with a family; FirstCredentialShape agrees
// with the first span; the SSE2 and AVX2 scan paths give the same spans.
#include <cstdint>
#include <string_view>
#include <vector>

#include "fuzz_util.h"
#include "keyref/credential_shape.h"

using keyref::fuzz::Check;

namespace {

bool SameSpans(const std::vector<keyref::CredentialMatch>& a,
               const std::vector<keyref::CredentialMatch>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].begin != b[i].begin || a[i].end != b[i].end ||
        a[i].family != b[i].family)
      return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<keyref::CredentialMatch> fast;
  keyref::UseBaselineShapeScanForTesting(false);
  keyref::FindCredentialShapes(text, &fast);
  std::size_t last_end = 0;
  for (const auto& m : fast) {
    Check(m.begin < m.end && m.end <= size, "span out of bounds or empty");
    Check(m.begin >= last_end, "spans overlap or are out of order");
    Check(m.family != keyref::CredentialFamily::kNone, "span without family");
    Check(keyref::CredentialFamilyName(m.family) != nullptr, "no family name");
    last_end = m.end;
  }
  keyref::CredentialFamily first = keyref::FirstCredentialShape(text);
  Check((first == keyref::CredentialFamily::kNone) == fast.empty(),
        "FirstCredentialShape disagrees with FindCredentialShapes");

  std::vector<keyref::CredentialMatch> base;
  keyref::UseBaselineShapeScanForTesting(true);
  keyref::FindCredentialShapes(text, &base);
  keyref::UseBaselineShapeScanForTesting(false);
  Check(SameSpans(fast, base), "baseline and vector scans differ");

  // The AVX2 path where the best one is AVX-512BW (the same path again
  // elsewhere).
  std::vector<keyref::CredentialMatch> avx2;
  keyref::UseAvx2ShapeScanForTesting(true);
  keyref::FindCredentialShapes(text, &avx2);
  keyref::UseAvx2ShapeScanForTesting(false);
  Check(SameSpans(fast, avx2), "AVX2 and best vector scans differ");
  (void)keyref::IsHighEntropyToken(text.substr(0, 256));
  return 0;
}
