// ScanRuns (native/src/redaction/secret_runs.cpp) reads only the runs of
// bytes a window of the set can hold (docs/threat-model.md, "Timing"). These
// tests pin that the skipping changes no result: on texts made of pieces of
// the values, their encodings, separators and every byte value, ScanRuns
// finds exactly the runs that hashing every window of every length at every
// position finds (the plain reference, every_window.h), for each class of set.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "every_window.h"
#include "print_set_test_util.h"
#include "redaction/internal.h"

namespace keyref::redaction {
namespace {

// A text of pieces: whole values, their base64 forms (behind 0 to 2 bytes),
// runs of them of random length, key bytes, separators and random bytes.
std::string RandomText(std::mt19937_64& rng,
                       const std::vector<std::string>& values) {
  static const std::string kSeparators = " .,=:;\n\"'@%\\{}[]()<>*#!?&|~`^$";
  static const std::string kKeyBytes =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/";
  std::string t;
  const std::size_t pieces = 1 + rng() % 40;
  for (std::size_t k = 0; k < pieces; ++k) {
    const std::string& v = values[rng() % values.size()];
    switch (rng() % 7) {
      case 0:
        t += v;
        break;
      case 1: {
        const std::size_t at = rng() % v.size();
        t += v.substr(at, 1 + rng() % (v.size() - at));
        break;
      }
      case 2: {
        std::string shifted(rng() % 3, 'x');
        const std::string enc = Base64(shifted + v, rng() % 2);
        const std::size_t at = rng() % enc.size();
        t += enc.substr(at, 1 + rng() % (enc.size() - at));
        break;
      }
      case 3:
        for (std::size_t j = rng() % 80; j > 0; --j) {
          t.push_back(kKeyBytes[rng() % kKeyBytes.size()]);
        }
        break;
      case 4:
        for (std::size_t j = 1 + rng() % 3; j > 0; --j) {
          t.push_back(kSeparators[rng() % kSeparators.size()]);
        }
        break;
      case 5:
        t.push_back(static_cast<char>(rng() % 256));
        break;
      default:
        t += "2026-11-28T10:00:01.001Z INFO req_id=r000001 path=/v1/x ";
    }
  }
  return t;
}

std::string Key(std::mt19937_64& rng, std::string_view prefix,
                std::string_view abc, std::size_t n) {
  std::string s(prefix);
  for (std::size_t i = 0; i < n; ++i) s.push_back(abc[rng() % abc.size()]);
  return s;
}

// ScanRuns finds in `t` the runs of hashing every window at every
// position; returns how many.
std::size_t ExpectSameAsEveryWindow(const PrintSet& set, const std::string& t,
                                    int round) {
  std::vector<Redactor::Span> got;
  ScanRuns(set, t, &got);
  const std::vector<Redactor::Span> want = EveryWindowRuns(set, t);
  EXPECT_EQ(got.size(), want.size()) << "round " << round;
  for (std::size_t i = 0; i < got.size() && i < want.size(); ++i) {
    EXPECT_EQ(got[i].begin, want[i].begin) << "round " << round;
    EXPECT_EQ(got[i].end, want[i].end) << "round " << round;
  }
  return want.size();
}

void ExpectSameAsEveryWindow(const std::vector<std::string>& values,
                             WindowBytes expected_class) {
  const Set s = Build(values);
  ASSERT_EQ(s.set->window_bytes, expected_class);
  std::mt19937_64 rng(7);
  std::size_t with_runs = 0;
  for (int round = 0; round < 3000; ++round) {
    const std::string t = RandomText(rng, values);
    const std::size_t found = ExpectSameAsEveryWindow(*s.set, t, round);
    if (::testing::Test::HasFailure()) return;
    with_runs += found != 0;
  }
  // The texts do hold runs, so the comparison means something.
  EXPECT_GT(with_runs, 1000u);
}

constexpr std::string_view kBase62 =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
constexpr std::string_view kBase64Url =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// A text of 512 bytes or more remembers which of its runs of 8 to 255
// bytes held no window and skips them when they come again (RunScanner::
// Scan, Seen). Many runs of one length that share their first and last
// eight bytes (more than the slots: they must meet in one), some holding a
// window, some differing from one in one or two words, runs of 16, 64, 72,
// 255 and 256 bytes, padded base64 runs, and texts just under and over
// 512 bytes: always the runs of hashing every window at every position.
TEST(ScanRuns, RepeatedRunsAreSkippedOnlyWhenTheyAreTheSame) {
  std::mt19937_64 rng(41);
  const std::string key = Key(rng, "sk-proj-", kBase62, 40);
  const std::string short_key = Key(rng, "", kBase62, 10);
  for (const auto& [values, cls] :
       {std::pair{std::vector<std::string>{key}, WindowBytes::kKey},
        std::pair{std::vector<std::string>{key, short_key},
                  WindowBytes::kKeyOrPad}}) {
    const Set s = Build(values);
    ASSERT_EQ(s.set->window_bytes, cls);
    const std::string head = "Ab3dEf7h", tail = "Qr5tUv9x";
    const std::string window = key.substr(10, 12);
    std::vector<std::string> runs;
    for (int k = 0; k < 40; ++k) {
      runs.push_back(head + Key(rng, "", kBase62, 12) + tail);
    }
    runs.push_back(head + window + tail);
    runs.push_back(head + Key(rng, "", kBase62, 4) + window + tail);
    // 24 bytes (the short compare's three words): the window's run, and
    // runs differing from it in the middle word only.
    const std::string a4 = "Zq8w", b8 = "Lm2nOp4r";
    runs.push_back(a4 + window + b8);
    for (int k = 0; k < 20; ++k) {
      runs.push_back(a4 + window.substr(0, 4) + Key(rng, "", kBase62, 8) + b8);
    }
    // Differing from the window's run in one or two words only.
    runs.push_back(head + window.substr(0, 4) + "xxxxxxxx" + tail);
    runs.push_back(head + "xxxx" + window.substr(4, 8) + tail);
    for (std::size_t n : {16, 64, 72, 255, 256}) {
      runs.push_back(Key(rng, "", kBase62, n - 12) + window);
      runs.push_back(Key(rng, "", kBase62, n));
    }
    runs.push_back(redaction::Base64(short_key, false));  // with its '='
    runs.push_back("2026-11-28T10");
    std::size_t found = 0;
    for (int round = 0; round < 200; ++round) {
      const std::size_t size =
          std::vector<std::size_t>{500, 511, 512, 513, 2000}[round % 5];
      std::string t;
      while (t.size() < size) {
        t += "t=" + runs[rng() % runs.size()] +
             " k=" + runs[rng() % runs.size()] +
             " n=" + std::to_string(rng() % 1000) + "\n";
      }
      t.resize(size);
      found += ExpectSameAsEveryWindow(*s.set, t, round);
      if (::testing::Test::HasFailure()) return;
    }
    EXPECT_GT(found, 200u);  // the window's runs come again and again
  }
}

TEST(ScanRuns, GeneratedKeysOnlyKeyBytes) {
  std::mt19937_64 rng(1);
  ExpectSameAsEveryWindow(
      {Key(rng, "sk-proj-", kBase64Url, 48),
       Key(rng, "sk-ant-api03-", kBase62, 40),
       Key(rng, "", "0123456789abcdef", 40), Key(rng, "", "0123456789", 30)},
      WindowBytes::kKey);
}

TEST(ScanRuns, ShortValuesBringBase64Padding) {
  std::mt19937_64 rng(2);
  // Middles shorter than a run: matched whole, padded base64 included.
  ExpectSameAsEveryWindow(
      {Key(rng, "sk-", kBase62, 12), Key(rng, "", kBase62, 10),
       Key(rng, "sk-proj-", kBase62, 40)},
      WindowBytes::kKeyOrPad);
}

TEST(ScanRuns, ValuesWithOtherBytesReadEveryPosition) {
  std::mt19937_64 rng(3);
  ExpectSameAsEveryWindow(
      {"correct horse battery staple, 42!", "p@ss.w0rd:with=other bytes",
       Key(rng, "sk-proj-", kBase62, 40)},
      WindowBytes::kAny);
}

TEST(ScanRuns, RunsLongerThanABlockAndAtTheEdges) {
  std::mt19937_64 rng(4);
  const std::string key = Key(rng, "sk-proj-", kBase62, 48);
  const Set s = Build({key});
  // A key inside a run of key bytes longer than several 64-byte blocks,
  // starting and ending at every offset of a block.
  for (std::size_t lead = 0; lead < 70; ++lead) {
    for (std::size_t tail : {0, 1, 63, 64, 65, 200}) {
      std::string t = Key(rng, "", kBase62, lead) + key +
                      Key(rng, "", kBase62, tail) + "." + key;
      std::vector<Redactor::Span> got;
      ScanRuns(*s.set, t, &got);
      const std::vector<Redactor::Span> want = EveryWindowRuns(*s.set, t);
      ASSERT_EQ(got.size(), want.size()) << lead << " " << tail;
      ASSERT_EQ(got.size(), 2u);
      for (std::size_t i = 0; i < got.size(); ++i) {
        EXPECT_EQ(got[i].begin, want[i].begin);
        EXPECT_EQ(got[i].end, want[i].end);
      }
    }
  }
}

// Ranges of up to PrintSet::kShortRange bytes are hashed by a path of
// their own (ScanRangeShort: prefix sums of the bytes times B^-k instead of
// a chain of prefix hashes), longer ones as before. A run of every length
// around that limit, with a piece of a value at every offset, and a piece
// of its base64 (the set's longer windows): both paths find what hashing
// every window finds, and they do find it.
// A run of n key bytes holding `piece` at `at`, between a '.' and a space,
// scanned as ScanRuns does and as hashing every window does: the same
// spans. Returns whether the reference found any.
bool ExpectRunSameAsEveryWindow(const PrintSet& set, const std::string& piece,
                                std::size_t n, std::size_t at,
                                std::mt19937_64& rng) {
  const std::string t = "." + Key(rng, "", kBase62, at) + piece +
                        Key(rng, "", kBase62, n - at - piece.size()) + " ";
  std::vector<Redactor::Span> got;
  ScanRuns(set, t, &got);
  const std::vector<Redactor::Span> want = EveryWindowRuns(set, t);
  EXPECT_EQ(got.size(), want.size()) << piece.size() << " " << n << " " << at;
  for (std::size_t i = 0; i < std::min(got.size(), want.size()); ++i) {
    EXPECT_EQ(got[i].begin, want[i].begin) << n << " " << at;
    EXPECT_EQ(got[i].end, want[i].end) << n << " " << at;
  }
  return !want.empty();
}

TEST(ScanRuns, EveryRangeLengthAroundTheShortPath) {
  std::mt19937_64 rng(5);
  const std::string key = Key(rng, "sk-proj-", kBase64Url, 48);
  const Set s = Build({key});
  ASSERT_GE(s.set->lengths.size(), 2u);
  const std::string middle = key.substr(8, key.size() - 12);
  const std::string encoded = Base64(key, false);
  std::size_t found = 0, texts = 0;
  for (std::size_t n = s.set->lengths.front();
       n <= 2 * PrintSet::kShortRange + 2; ++n) {
    for (std::size_t w = 0; w < 2; ++w) {
      // A raw piece of the shortest window's length, or base64 of the
      // longest (whole characters of the middle: the encoding's 16 to 32).
      const std::string piece =
          w == 0 ? middle.substr(rng() % (middle.size() - 12), 12)
                 : encoded.substr(12, std::min<std::size_t>(n, 32));
      if (piece.size() > n) continue;
      for (std::size_t at = 0; at + piece.size() <= n; ++at) {
        found += ExpectRunSameAsEveryWindow(*s.set, piece, n, at, rng);
        ++texts;
        if (::testing::Test::HasFailure()) return;
      }
    }
  }
  // Nearly every text holds a window of the set.
  EXPECT_GT(found, texts * 9 / 10);
}

// ScanRangeShort is instantiated for sets of one to four window lengths;
// the test above reaches it with two. For sets of one, three and four
// lengths: a window of the set of each length (from a value or its base64
// forms), in runs of 12 to 70 bytes at every offset, found as hashing every
// window finds it.
void ExpectShortPathSameAsEveryWindow(const std::vector<std::string>& values,
                                      std::size_t lengths) {
  const Set s = Build(values);
  ASSERT_EQ(s.set->lengths.size(), lengths);
  // One window of the set per length.
  std::vector<std::string> sources = values;
  for (const std::string& v : values) {
    for (std::size_t shift = 0; shift < 3; ++shift) {
      for (bool url : {false, true}) {
        sources.push_back(Base64(std::string(shift, 'x') + v, url));
      }
    }
  }
  std::vector<std::string> pieces;
  for (std::uint8_t len : s.set->lengths) {
    std::string hit;
    for (const std::string& src : sources) {
      for (std::size_t b = 0; hit.empty() && b + len <= src.size(); ++b) {
        const std::string_view w = std::string_view(src).substr(b, len);
        if (s.set->Has(SipHash64(s.set->keys.k0, s.set->keys.k1, w))) {
          hit = std::string(w);
        }
      }
      if (!hit.empty()) break;
    }
    ASSERT_FALSE(hit.empty()) << "no window of length " << int{len};
    pieces.push_back(hit);
  }
  std::mt19937_64 rng(lengths);
  std::size_t texts = 0;
  for (const std::string& piece : pieces) {
    for (std::size_t n = std::max<std::size_t>(12, piece.size()); n <= 70;
         ++n) {
      for (std::size_t at = 0; at + piece.size() <= n; ++at) {
        EXPECT_TRUE(ExpectRunSameAsEveryWindow(*s.set, piece, n, at, rng))
            << n << " " << at;
        ++texts;
        if (::testing::Test::HasFailure()) return;
      }
    }
  }
  EXPECT_GT(texts, 1000u);
}

TEST(ScanRuns, ShortPathWithOneWindowLength) {
  std::mt19937_64 rng(6);
  ExpectShortPathSameAsEveryWindow({Key(rng, "sk-proj-", kBase62, 16)}, 1);
}

TEST(ScanRuns, ShortPathWithThreeWindowLengths) {
  std::mt19937_64 rng(8);
  ExpectShortPathSameAsEveryWindow(
      {Key(rng, "sk-proj-", kBase62, 16), Key(rng, "", "0123456789abcdef", 40)},
      3);
}

TEST(ScanRuns, ShortPathWithFourWindowLengths) {
  std::mt19937_64 rng(9);
  ExpectShortPathSameAsEveryWindow({Key(rng, "sk-proj-", kBase64Url, 40),
                                    Key(rng, "", "0123456789abcdef", 40)},
                                   4);
}

}  // namespace
}  // namespace keyref::redaction
