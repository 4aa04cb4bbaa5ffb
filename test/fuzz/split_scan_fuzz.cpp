// Fuzzes the redactor's scan on two threads (native/src/redaction/one_pass.cpp,
// ScanOnceOnTwoThreads; docs/performance.md, "Redaction, 8 MB, sixth pass").
// Property: on any text, the runs, shapes and header values found with the
// helper thread are exactly ScanOnce's on one thread, on the AVX2 and the
// baseline path alike. The first input byte picks a fingerprint set of one
// of the three window classes (docs/threat-model.md, "Timing"); the second
// picks a piece planted in the middle of the text and cut there (a live
// secret, a run of them, a PEM block's lines, a header name): where a split
// by position would have its seam; the rest is the text.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "fixed_prints.h"
#include "fuzz_util.h"
#include "redaction/internal.h"
#include "redaction/one_pass.h"

using keyref::fuzz::Check;
namespace redaction = keyref::redaction;

namespace {

// What may be planted in the middle of the text.
std::string Piece(int k, std::uint8_t pick) {
  const std::string a = keyref::fuzz::kFixedValues[k][0];
  const std::string b = keyref::fuzz::kFixedValues[k][1];
  switch (pick % 8) {
    case 0:
      return a;
    case 1:
      return a + b + a;  // a run of live secrets
    case 2:
      return "-----BEGIN RSA PRIVATE KEY-----\nMIIE" + a + "\n";
    case 3:
      return "\n-----END RSA PRIVATE KEY-----\n";
    case 4:
      return "Authorization: Bearer ";
    case 5:
      return "\"x-api-key\": \"" + b;
    case 6:
      return "%" + a.substr(0, 2) + "\\u00";
    default:
      return "";
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  keyref::fuzz::Input in(data, size);
  const int k = in.Byte() % 3;
  const std::uint8_t pick = in.Byte();
  const redaction::PrintSet& set = *keyref::fuzz::FixedSetFor(k).set;
  std::string text(in.Rest());
  const std::string piece = Piece(k, pick);
  // Cut where the piece lands: from its start to past its end.
  const std::size_t cut = piece.empty() ? 0 : (pick >> 3) % (piece.size() + 1);
  const std::size_t mid = text.size() / 2;
  text.insert(mid - (cut < mid ? cut : mid), piece);
  redaction::OnePass one, two;
  // Each block classifier: the best (AVX-512BW or AVX2), AVX2, baseline.
  for (int path = 0; path < 3; ++path) {
    keyref::UseAvx2ShapeScanForTesting(path == 1);
    keyref::UseBaselineShapeScanForTesting(path == 2);
    redaction::ScanOnce(set, text, &one);
    redaction::ScanOnceOnTwoThreads(set, text, &two);
    Check(keyref::fuzz::SameSpans(one.runs, two.runs),
          "two threads: secret runs differ");
    Check(keyref::fuzz::SameSpans(one.shapes, two.shapes),
          "two threads: shapes differ");
    Check(keyref::fuzz::SameSpans(one.headers, two.headers),
          "two threads: header values differ");
  }
  keyref::UseAvx2ShapeScanForTesting(false);
  keyref::UseBaselineShapeScanForTesting(false);
  return 0;
}
