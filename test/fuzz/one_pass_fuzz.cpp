// Fuzzes the redactor's one pass (native/src/redaction/one_pass.cpp).
// Property: on any text, ScanOnce finds exactly what FindSecretRuns,
// FindCredentialShapes and FindHeaderValues find one after the other, on
// the AVX2 and the baseline path alike. The first input byte picks a
// fingerprint set of one of the three window classes (docs/threat-model.md,
// "Timing"); the rest is the text. The sets are fixed and built with fixed
// keys, so runs are reproducible.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "fixed_prints.h"
#include "fuzz_util.h"
#include "keyref/credential_shape.h"
#include "redaction/internal.h"
#include "redaction/one_pass.h"

using keyref::fuzz::Check;
namespace redaction = keyref::redaction;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  keyref::fuzz::Input in(data, size);
  const redaction::PrintSet& set = *keyref::fuzz::FixedSetFor(in.Byte()).set;
  const std::string_view text = in.Rest();
  std::vector<keyref::Redactor::Span> runs, headers;
  std::vector<keyref::CredentialMatch> shapes;
  redaction::FindSecretRuns(set, text, &runs);
  keyref::FindCredentialShapes(text, &shapes);
  redaction::FindHeaderValues(text, &headers);
  redaction::OnePass found;
  // Each block classifier: the best (AVX-512BW or AVX2), AVX2, baseline.
  for (int path = 0; path < 3; ++path) {
    keyref::UseAvx2ShapeScanForTesting(path == 1);
    keyref::UseBaselineShapeScanForTesting(path == 2);
    redaction::ScanOnce(set, text, &found);
    Check(keyref::fuzz::SameSpans(found.runs, runs),
          "one pass: secret runs differ");
    Check(keyref::fuzz::SameSpans(found.shapes, shapes),
          "one pass: shapes differ");
    Check(keyref::fuzz::SameSpans(found.headers, headers),
          "one pass: header values differ");
  }
  keyref::UseAvx2ShapeScanForTesting(false);
  keyref::UseBaselineShapeScanForTesting(false);
  return 0;
}
