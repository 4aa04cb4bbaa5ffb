// A fingerprint set built with fixed keys, for the tests of the scans that
// read it (secret_runs_test.cpp, one_pass_test.cpp): the same values give
// the same set in every run, so a failure can be replayed.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "redaction/internal.h"

namespace keyref::redaction {

inline Keys FixedKeys() {
  Keys k;
  k.k0 = 0x0123456789abcdefULL;
  k.k1 = 0xfedcba9876543210ULL;
  k.base = 0x9e3779b97f4a7c15ULL;
  k.mix = 0xc2b2ae3d27d4eb4fULL;
  k.seen_seed = 0x243f6a8885a308d3ULL;
  k.seen_mul = 0x13198a2e03707345ULL;
  return k;
}

// The prints of each value, and the set built from them.
struct Set {
  std::vector<ValuePrints> prints;
  std::shared_ptr<const PrintSet> set;
};

inline Set Build(const std::vector<std::string>& values) {
  Set s;
  s.prints.resize(values.size());
  std::vector<const ValuePrints*> ptrs;
  for (std::size_t i = 0; i < values.size(); ++i) {
    FingerprintValue(FixedKeys(), values[i], &s.prints[i]);
    ptrs.push_back(&s.prints[i]);
  }
  s.set = PrintSet::Build(FixedKeys(), ptrs);
  return s;
}

}  // namespace keyref::redaction
