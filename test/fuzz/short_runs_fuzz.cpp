// Fuzzes the scan of short runs (native/src/redaction/secret_runs.cpp,
// ScanRangeShort: a run of at most PrintSet::kShortRange bytes is hashed
// from prefix sums, with the window lengths of a set of one to four lengths
// as a compile-time list). Property: on any text made of such runs,
// ScanRuns finds exactly the runs that hashing every window of every length
// at every position finds (EveryWindowRuns, test/native/every_window.h).
// The two fuzz targets that compare scans (one_pass, split_scan) compare
// paths that both end in ScanRangeShort, so a window it misses is missed by
// both; this one compares it with the plain reference.
//
// The first input byte picks a fixed set: sets of 1, 2, 3 and 4 window
// lengths of key bytes, and the '=' and any-byte sets of fixed_prints.h
// (5 and 4 lengths).
// Then up to four runs of 1 to 64 bytes, each of class bytes from the
// input, with up to three windows of the set (cut from the values and
// their base64 forms: real hits) written over it at offsets from the
// input, separated by a byte outside the class. The last window written
// in a run stays whole, so nearly every input holds a hit.
#include <cstdint>
#include <string>
#include <vector>

#include "every_window.h"
#include "fixed_prints.h"
#include "fuzz_util.h"
#include "redaction/internal.h"

using keyref::fuzz::Check;
namespace redaction = keyref::redaction;

namespace {

struct ShortSet {
  keyref::fuzz::FixedSet fixed;
  // windows[i]: windows of the set of length set.lengths[i].
  std::vector<std::vector<std::string>> windows;
};

// Every window of the set cut from `values` and their base64 forms
// (standard and url, behind 0 to 2 bytes), by length.
ShortSet Make(keyref::fuzz::FixedSet fixed,
              const std::vector<std::string>& values, std::size_t lengths) {
  const redaction::PrintSet& set = *fixed.set;
  Check(set.lengths.size() == lengths, "short runs: unexpected set lengths");
  std::vector<std::string> sources = values;
  for (const std::string& v : values) {
    for (std::size_t shift = 0; shift < 3; ++shift) {
      for (bool url : {false, true}) {
        sources.push_back(redaction::Base64(std::string(shift, 'x') + v, url));
      }
    }
  }
  ShortSet s{std::move(fixed), {}};
  s.windows.resize(lengths);
  for (std::size_t i = 0; i < lengths; ++i) {
    const std::size_t len = set.lengths[i];
    for (const std::string& src : sources) {
      for (std::size_t b = 0; b + len <= src.size(); ++b) {
        const std::string w = src.substr(b, len);
        if (set.Has(redaction::SipHash64(set.keys.k0, set.keys.k1, w))) {
          s.windows[i].push_back(w);
        }
      }
    }
    Check(!s.windows[i].empty(), "short runs: a length without a window");
  }
  return s;
}

const std::vector<ShortSet>& Sets() {
  static const std::vector<ShortSet> sets = [] {
    // Made-up values. A 12-character middle: one length (the run). A
    // 44-character one: the run and base64 windows. Hex needs longer runs
    // (RunLengthFor), so it brings lengths of its own.
    const std::string one = "sk-proj-Xq7Lm2Rt9Wz4Hd6K";
    const std::string two = "sk-proj-" + std::string("Qv8_Zr3-Tn5Yk1Wp") +
                            "Jm4Lx7Hb2Nc9Gs6Df0Ua3Re8Ko5Ti1Py";
    const std::string hex = "9f3a6c1e8b2d7f40a5c3e9b1d6f28a4c7e0b3d5f";
    const std::string b64url = "sk-proj-Hq3_Wn8-Zt5Kv1Rx7Lp2Ym9Bd4Gf6Js0Ac3Ne";
    std::vector<ShortSet> out;
    out.push_back(Make(keyref::fuzz::BuildFixedSet({one}), {one}, 1));
    out.push_back(Make(keyref::fuzz::BuildFixedSet({two}), {two}, 2));
    out.push_back(Make(keyref::fuzz::BuildFixedSet({one, hex}), {one, hex}, 3));
    out.push_back(
        Make(keyref::fuzz::BuildFixedSet({b64url, hex}), {b64url, hex}, 4));
    for (int k = 1; k < 3; ++k) {  // the '=' and any-byte classes
      const std::vector<std::string> values = {
          keyref::fuzz::kFixedValues[k][0], keyref::fuzz::kFixedValues[k][1]};
      keyref::fuzz::FixedSet fixed = keyref::fuzz::FixedSetFor(k);
      // Five lengths (the '=' set: ScanRangeAny takes its short runs too)
      // and four (the any-byte set).
      out.push_back(Make(std::move(fixed), values, k == 1 ? 5 : 4));
    }
    return out;
  }();
  return sets;
}

// A byte of the set's class, from an input byte.
char ClassByte(redaction::WindowBytes cls, std::uint8_t b) {
  static const char kKey[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/=";
  switch (cls) {
    case redaction::WindowBytes::kKey:
      return kKey[b % 66];
    case redaction::WindowBytes::kKeyOrPad:
      return kKey[b % 67];
    default:
      return static_cast<char>(b);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  keyref::fuzz::Input in(data, size);
  const std::vector<ShortSet>& sets = Sets();
  const ShortSet& s = sets[in.Byte() % sets.size()];
  const redaction::PrintSet& set = *s.fixed.set;
  const bool any = set.window_bytes == redaction::WindowBytes::kAny;
  // Every byte is of an any-byte set's class: the text is one run.
  const std::size_t runs = any ? 1 : 1 + in.Byte() % 4;
  std::string text;
  bool planted = false;
  for (std::size_t r = 0; r < runs; ++r) {
    // Outside every class: ends the run before.
    if (r > 0) text.push_back(" .,:;\"'@\n"[in.Byte() % 9]);
    const std::size_t n = 1 + in.Byte() % redaction::PrintSet::kShortRange;
    std::string run(n, 'A');
    for (char& c : run) c = ClassByte(set.window_bytes, in.Byte());
    for (std::size_t k = in.Byte() % 4; k > 0; --k) {
      const std::uint8_t li = in.Byte();
      const std::vector<std::string>& ws = s.windows[li % s.windows.size()];
      const std::string& w = ws[in.Range(0, ws.size() - 1)];
      if (w.size() > n) continue;
      const std::size_t at = in.Byte() % (n - w.size() + 1);
      run.replace(at, w.size(), w);
      planted = true;
    }
    text += run;
  }
  std::vector<keyref::Redactor::Span> got;
  redaction::ScanRuns(set, text, &got);
  const std::vector<keyref::Redactor::Span> want =
      redaction::EveryWindowRuns(set, text);
  // A whole window was written: the reference finds it (a check of this
  // target, so the comparison below means something).
  Check(!planted || !want.empty(), "short runs: a planted window not found");
  Check(keyref::fuzz::SameSpans(got, want),
        "short runs: ScanRuns differs from every window");
  return 0;
}
