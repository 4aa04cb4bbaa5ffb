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

#include "fuzz_util.h"
#include "keyref/credential_shape.h"
#include "redaction/internal.h"
#include "redaction/one_pass.h"

using keyref::fuzz::Check;
namespace redaction = keyref::redaction;

namespace {

struct FixedSet {
  std::vector<redaction::ValuePrints> prints;
  std::shared_ptr<const redaction::PrintSet> set;
};

FixedSet Build(const std::vector<std::string>& values) {
  redaction::Keys keys;
  keys.k0 = 0x0123456789abcdefULL;
  keys.k1 = 0xfedcba9876543210ULL;
  keys.base = 0x9e3779b97f4a7c15ULL;
  keys.mix = 0xc2b2ae3d27d4eb4fULL;
  FixedSet s;
  s.prints.resize(values.size());
  std::vector<const redaction::ValuePrints*> ptrs;
  for (std::size_t i = 0; i < values.size(); ++i) {
    redaction::FingerprintValue(keys, values[i], &s.prints[i]);
    ptrs.push_back(&s.prints[i]);
  }
  s.set = redaction::PrintSet::Build(keys, ptrs);
  return s;
}

const FixedSet& SetFor(std::uint8_t pick) {
  // Key bytes only; '=' too (whole short values); any byte.
  static const FixedSet sets[] = {
      Build({"sk-proj-Q7abcdefgh12ijklmn34opqrstuv56wxyzAB78CDEF",
             "abcdefghijklmnop"}),
      Build({"Zq7hW2pLx9", "k3Jd8sPq1Z"}),
      Build({"correct horse battery staple 42", "p@ss:w0rd=Tr0ub4dor&3x"}),
  };
  return sets[pick % 3];
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  keyref::fuzz::Input in(data, size);
  const redaction::PrintSet& set = *SetFor(in.Byte()).set;
  const std::string_view text = in.Rest();
  std::vector<keyref::Redactor::Span> runs, headers;
  std::vector<keyref::CredentialMatch> shapes;
  redaction::FindSecretRuns(set, text, &runs);
  keyref::FindCredentialShapes(text, &shapes);
  redaction::FindHeaderValues(text, &headers);
  redaction::OnePass found;
  for (bool baseline : {false, true}) {
    keyref::UseBaselineShapeScanForTesting(baseline);
    redaction::ScanOnce(set, text, &found);
    Check(keyref::fuzz::SameSpans(found.runs, runs),
          "one pass: secret runs differ");
    Check(keyref::fuzz::SameSpans(found.shapes, shapes),
          "one pass: shapes differ");
    Check(keyref::fuzz::SameSpans(found.headers, headers),
          "one pass: header values differ");
  }
  keyref::UseBaselineShapeScanForTesting(false);
  return 0;
}
