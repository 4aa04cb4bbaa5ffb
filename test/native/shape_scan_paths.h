// The shape scan's three block classifiers as a test parameter
// (native/src/credential_shape.cpp): the baseline (SSE2; plain C++ off
// x86-64), AVX2, and the best this CPU has (AVX-512BW where it has it, else
// AVX2 again). Tests that compare results with a reference run on each, so
// all paths are checked on one machine.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "keyref/credential_shape.h"

namespace keyref::testing_paths {

enum class ShapeScanPath { kBaseline, kAvx2, kBest };

inline void UsePath(ShapeScanPath path) {
  UseBaselineShapeScanForTesting(path == ShapeScanPath::kBaseline);
  UseAvx2ShapeScanForTesting(path == ShapeScanPath::kAvx2);
}

inline auto AllPaths() {
  return ::testing::Values(ShapeScanPath::kBaseline, ShapeScanPath::kAvx2,
                           ShapeScanPath::kBest);
}

inline std::string PathName(
    const ::testing::TestParamInfo<ShapeScanPath>& info) {
  switch (info.param) {
    case ShapeScanPath::kBaseline:
      return "Baseline";
    case ShapeScanPath::kAvx2:
      return "Avx2";
    case ShapeScanPath::kBest:
      break;
  }
  return "Best";
}

// A fixture on one path, back on the best one afterwards.
class OnEachPath : public ::testing::TestWithParam<ShapeScanPath> {
 protected:
  void SetUp() override { UsePath(GetParam()); }
  void TearDown() override { UsePath(ShapeScanPath::kBest); }
};

}  // namespace keyref::testing_paths
