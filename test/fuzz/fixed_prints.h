// The fixed fingerprint sets of the redaction fuzz targets (one_pass_fuzz,
// split_scan_fuzz, short_runs_fuzz): built with fixed keys, so runs are
// reproducible.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "redaction/internal.h"

namespace keyref::fuzz {

// Two values per set, one set per window class (docs/threat-model.md,
// "Timing"): key bytes only; '=' too (whole short values); any byte.
inline const char* const kFixedValues[3][2] = {
    {"sk-proj-Q7abcdefgh12ijklmn34opqrstuv56wxyzAB78CDEF", "abcdefghijklmnop"},
    {"Zq7hW2pLx9", "k3Jd8sPq1Z"},
    {"correct horse battery staple 42", "p@ss:w0rd=Tr0ub4dor&3x"},
};

struct FixedSet {
  std::vector<redaction::ValuePrints> prints;
  std::shared_ptr<const redaction::PrintSet> set;
};

// The set of `values` under the fixed keys.
inline FixedSet BuildFixedSet(const std::vector<std::string>& values) {
  redaction::Keys keys;
  keys.k0 = 0x0123456789abcdefULL;
  keys.k1 = 0xfedcba9876543210ULL;
  keys.base = 0x9e3779b97f4a7c15ULL;
  keys.mix = 0xc2b2ae3d27d4eb4fULL;
  keys.seen_seed = 0x243f6a8885a308d3ULL;
  keys.seen_mul = 0x13198a2e03707345ULL;
  FixedSet s;
  s.prints.resize(values.size());
  std::vector<const redaction::ValuePrints*> ptrs;
  for (std::size_t v = 0; v < values.size(); ++v) {
    redaction::FingerprintValue(keys, values[v], &s.prints[v]);
    ptrs.push_back(&s.prints[v]);
  }
  s.set = redaction::PrintSet::Build(keys, ptrs);
  return s;
}

// The set of kFixedValues[k % 3].
inline const FixedSet& FixedSetFor(int k) {
  auto build = [](int i) {
    return BuildFixedSet({kFixedValues[i][0], kFixedValues[i][1]});
  };
  static const FixedSet sets[] = {build(0), build(1), build(2)};
  return sets[k % 3];
}

}  // namespace keyref::fuzz
