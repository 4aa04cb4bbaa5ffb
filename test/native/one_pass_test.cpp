// The redactor's one pass (native/src/redaction/one_pass.cpp) classifies
// each 64-byte block of a text once, with SSE2, AVX2 or AVX-512BW (the
// best the CPU has), and feeds the masks to the credential-shape scan, the
// fingerprint run finder and the header rule. These tests pin that it finds
// exactly what the three rules find one after the other (FindSecretRuns,
// FindCredentialShapes, and FindHeaderValues, which looks at every ':' and
// '='), on every vector path, for each class of fingerprint set, and that
// the masks are those of a byte-by-byte definition.
#include "redaction/one_pass.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "credential_shape_scan.h"
#include "keyref/credential_shape.h"
#include "print_set_test_util.h"
#include "redaction/internal.h"
#include "shape_scan_paths.h"

namespace keyref::redaction {
namespace {

using shape_scan::BlockMasks;

// Every path on this machine: the baseline (SSE2; plain C++ elsewhere),
// AVX2, and the best it has (AVX-512BW where the CPU has it).
class OnePassScan : public testing_paths::OnEachPath {};
INSTANTIATE_TEST_SUITE_P(AllPaths, OnePassScan, testing_paths::AllPaths(),
                         testing_paths::PathName);

bool In(unsigned char c, std::string_view set) {
  return c != 0 && set.find(static_cast<char>(c)) != std::string_view::npos;
}

// The pair filter's buckets (credential_shape.cpp, kPairBuckets) with
// every byte their nibble lookups let in, spelled out: a first byte, and
// the bytes that may follow it.
constexpr std::pair<std::string_view, std::string_view> kBuckets[] = {
    {"chsx", "fk"}, {"A", "CIKSY["}, {"g", "chisxy"}, {"x", "ao"},
    {"p", "p"},     {"e", "y"},      {"bB", "eE"},    {"\"-r}", "(-8="},
};
bool PairFilter(unsigned char a, unsigned char b) {
  for (const auto& [first, next] : kBuckets) {
    if (In(a, first) && In(b, next)) return true;
  }
  return false;
}
bool FirstOfAPair(unsigned char a) {
  for (const auto& [first, next] : kBuckets) {
    if (In(a, first)) return true;
  }
  return false;
}

// The last two letters of every credential name, either case (the header
// rule's EndsLikeCredentialName2).
bool EndsACredentialName(unsigned char a, unsigned char b) {
  for (std::string_view end : {"on", "en", "ey", "ie", "et", "rd", "wd"}) {
    if ((a | 0x20) == end[0] && (b | 0x20) == end[1]) return true;
  }
  return false;
}

// Bit k set when b[k] is in `set` (k < len).
std::uint64_t BytesIn(const unsigned char* b, std::size_t len,
                      std::string_view set) {
  std::uint64_t m = 0;
  for (std::size_t k = 0; k < len; ++k) {
    if (In(b[k], set)) m |= std::uint64_t{1} << k;
  }
  return m;
}
// The baseline's filters on x86-64 (SSE2) look at one byte: the name-end
// filter at the name's last byte, the pair filter at the first byte.
std::uint64_t NameLastBytes(const unsigned char* b, std::size_t len = 64) {
  return BytesIn(b, len, "nyetdNYETD\"' \t");
}
std::uint64_t FirstBytes(const unsigned char* b, std::size_t len = 64) {
  return BytesIn(b, len, "sAghxpreBb-");
}

// The classes, byte by byte, from their definitions in BlockMasks.
BlockMasks Definition(const unsigned char* b) {
  auto in = [](unsigned char c, std::string_view set) { return In(c, set); };
  BlockMasks m;
  for (int k = 0; k < 64; ++k) {
    const unsigned char c = b[k];
    const bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                       (c >= '0' && c <= '9');
    const std::uint64_t bit = std::uint64_t{1} << k;
    if (c == 0) continue;  // in no class (string_view::find would find it)
    if (alnum) m.alnum |= bit;
    if (alnum || in(c, "-_+/=")) m.run |= bit;
    if (k < 63 ? PairFilter(c, b[k + 1]) : FirstOfAPair(c)) m.pair |= bit;
    if (c == '=') m.equals |= bit;
    if (c == ':') m.colon |= bit;
    if (in(c, "\"' \t") ||
        (k == 0 ? in(c, "nyetdNYETD") : EndsACredentialName(b[k - 1], c))) {
      m.name_end |= bit;
    }
    if (in(c, "\\%")) m.escape |= bit;
  }
  return m;
}

TEST_P(OnePassScan, MasksAreThoseOfTheByteDefinition) {
  std::mt19937_64 rng(11);
  unsigned char block[64];
  for (int round = 0; round < 4 + 20000; ++round) {
    for (int k = 0; k < 64; ++k) {
      // First every byte value at every position, then random blocks.
      block[k] = round < 4 ? static_cast<unsigned char>(round * 64 + k)
                           : static_cast<unsigned char>(rng());
    }
    const BlockMasks got = shape_scan::ClassifyForTesting(block);
    const BlockMasks want = Definition(block);
    ASSERT_EQ(got.run, want.run) << round;
    ASSERT_EQ(got.alnum, want.alnum) << round;
    // The vector paths compute the pair filter as defined; the baseline
    // does too off x86-64, and on it (SSE2) looks at the first byte only.
    if (GetParam() != testing_paths::ShapeScanPath::kBaseline ||
        got.pair != FirstBytes(block)) {
      ASSERT_EQ(got.pair, want.pair) << round;
    }
    ASSERT_EQ(got.equals, want.equals) << round;
    ASSERT_EQ(got.colon, want.colon) << round;
    if (GetParam() != testing_paths::ShapeScanPath::kBaseline ||
        got.name_end != NameLastBytes(block)) {
      ASSERT_EQ(got.name_end, want.name_end) << round;
    }
    ASSERT_EQ(got.escape, want.escape) << round;
  }
}

// The masks of `len` bytes at `b`: exact, but the pair filter's, whose bit
// at the last byte may be set or not (its next byte is past the block) and
// which SSE2 computes from the first byte only (`baseline`: the path may be
// SSE2); none past `len`.
void ExpectSameMasks(const BlockMasks& got, const BlockMasks& want,
                     const unsigned char* b, std::size_t len, bool baseline,
                     const std::string& where) {
  const std::uint64_t bytes =
      len == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << len) - 1;
  const std::uint64_t last = std::uint64_t{1} << (len - 1);
  EXPECT_EQ(got.run, want.run) << where;
  EXPECT_EQ(got.alnum, want.alnum) << where;
  EXPECT_EQ(got.pair & ~bytes, 0u) << where;
  if (!baseline || (got.pair & ~last) != (FirstBytes(b, len) & ~last)) {
    EXPECT_EQ(got.pair & ~last, want.pair & ~last) << where;
  }
  EXPECT_EQ(got.equals, want.equals) << where;
  EXPECT_EQ(got.colon, want.colon) << where;
  // Bit 0's byte before is the text's byte before the block, or none.
  EXPECT_EQ(got.name_end & ~bytes, 0u) << where;
  if (!baseline || (got.name_end & ~std::uint64_t{1}) !=
                       (NameLastBytes(b, len) & ~std::uint64_t{1})) {
    EXPECT_EQ(got.name_end & ~std::uint64_t{1},
              want.name_end & ~std::uint64_t{1})
        << where;
  }
  EXPECT_EQ(got.escape, want.escape) << where;
}

// A partial block (a text's last, or a text shorter than a block) gets the
// classes of its own bytes only, with the bytes after it in every class
// (on the AVX-512BW path it is loaded under a mask, on the others copied or
// classified from the 64 bytes that end with it).
TEST_P(OnePassScan, PartialBlocksClassifyTheirOwnBytesOnly) {
  std::mt19937_64 rng(29);
  const std::string loud = "A=:%\\sk- \"e";  // a byte of every class
  for (std::size_t len = 1; len <= 64; ++len) {
    for (bool after_text : {false, true}) {
      std::string buf(64, 'x');  // what comes before, when after_text
      std::string text;
      // Half of the bytes from the pair and name-end filters' buckets, so
      // that pairs and near pairs fall at every offset, the last one too.
      const std::string_view pairs =
          "chsxfkACIKSY[gioapeybBE\"-r}(8=onetdwNOTDRW' \t:";
      for (std::size_t k = 0; k < len; ++k) {
        text.push_back(rng() % 2 ? pairs[rng() % pairs.size()]
                                 : static_cast<char>(rng() % 96 + 32));
      }
      buf += text;
      for (int k = 0; k < 64; ++k) buf += loud[k % loud.size()];
      unsigned char own[64] = {};
      std::memcpy(own, text.data(), len);
      const BlockMasks got = shape_scan::ClassifyForTesting(
          reinterpret_cast<const unsigned char*>(buf.data()) + 64, len,
          after_text);
      ExpectSameMasks(got, Definition(own), own, len,
                      GetParam() == testing_paths::ShapeScanPath::kBaseline,
                      "len " + std::to_string(len) +
                          (after_text ? " after text" : " alone"));
      if (::testing::Test::HasFailure()) return;
    }
  }
}

// A text that ends at the last byte of a readable page, the next page
// unreadable: classifying its last block reads nothing past it (a read
// there would end the test with SIGSEGV).
TEST_P(OnePassScan, PartialBlocksReadNothingPastTheText) {
  const long page = sysconf(_SC_PAGESIZE);
  ASSERT_GT(page, 128);
  void* map = mmap(nullptr, 2 * page, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(map, MAP_FAILED);
  auto* base = static_cast<unsigned char*>(map);
  ASSERT_EQ(mprotect(base + page, page, PROT_NONE), 0);
  std::memset(base, 'A', page);
  for (std::size_t len = 1; len <= 64; ++len) {
    for (bool after_text : {false, true}) {
      const unsigned char* b = base + page - len;
      const BlockMasks got = shape_scan::ClassifyForTesting(b, len, after_text);
      const std::uint64_t mine =
          len == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << len) - 1;
      EXPECT_EQ(got.run, mine) << len;
      EXPECT_EQ(got.pair & ~mine, 0u) << len;
    }
  }
  // And through the scan: texts of every length ending at the page's end.
  for (std::size_t len = 1; len <= 200; ++len) {
    std::vector<CredentialMatch> shapes;
    FindCredentialShapes(
        std::string_view(reinterpret_cast<const char*>(base + page - len), len),
        &shapes);
  }
  munmap(map, 2 * page);
}

// The scan takes its AVX-512BW path exactly where the kernel reports the
// CPU's AVX-512F and AVX-512BW, else AVX2 where it reports that (it lists
// them only when it saves their registers): found by CPUID and XGETBV in
// credential_shape.cpp, read here from /proc/cpuinfo. The test knobs pick
// the other paths.
TEST(ShapeScanPaths, TheBestPathTheKernelReports) {
  // Printed: on a CPU without AVX-512BW the "Best" runs of the tests above
  // are AVX2 again, and the AVX-512BW classifier is not exercised here.
  std::printf("shape scan's best path on this CPU: %s\n", ShapeScanPathName());
  RecordProperty("best_path", ShapeScanPathName());
#if defined(__x86_64__)
  // Valgrind hides AVX-512 from CPUID while /proc/cpuinfo still lists it.
  const char* preload = std::getenv("LD_PRELOAD");
  if (preload && std::strstr(preload, "vgpreload")) {
    GTEST_SKIP() << "under valgrind: its CPUID is not the kernel's";
  }
  std::ifstream cpuinfo("/proc/cpuinfo");
  if (!cpuinfo) GTEST_SKIP() << "no /proc/cpuinfo";
  std::string flags;
  for (std::string line; std::getline(cpuinfo, line);) {
    if (line.rfind("flags", 0) == 0) {
      flags = line;
      break;
    }
  }
  ASSERT_FALSE(flags.empty());
  flags += ' ';
  auto has = [&](const std::string& flag) {
    return flags.find(' ' + flag + ' ') != std::string::npos;
  };
  const bool avx512 = has("avx512f") && has("avx512bw");
  EXPECT_EQ(std::string(ShapeScanPathName()), avx512        ? "avx512bw"
                                              : has("avx2") ? "avx2"
                                                            : "sse2")
      << flags;
  UseAvx2ShapeScanForTesting(true);
  EXPECT_EQ(std::string(ShapeScanPathName()), has("avx2") ? "avx2" : "sse2");
  UseBaselineShapeScanForTesting(true);
  EXPECT_EQ(std::string(ShapeScanPathName()), "sse2");
  UseBaselineShapeScanForTesting(false);
  UseAvx2ShapeScanForTesting(false);
#else
  EXPECT_EQ(std::string(ShapeScanPathName()), "scalar");
#endif
}

std::string Base64(std::string_view in) {
  static const char abc[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (std::size_t i = 0; i < in.size(); i += 3) {
    std::uint32_t v = std::uint32_t(std::uint8_t(in[i])) << 16;
    if (i + 1 < in.size()) v |= std::uint32_t(std::uint8_t(in[i + 1])) << 8;
    if (i + 2 < in.size()) v |= std::uint8_t(in[i + 2]);
    for (std::size_t k = 0; k < 4; ++k) {
      out.push_back(i + k <= in.size() ? abc[(v >> (18 - 6 * k)) & 63] : '=');
    }
  }
  return out;
}

// Pieces that make each rule fire, nearly fire, or stop: values and their
// encodings, credential names before every kind of separator, shapes,
// escapes, log text, and bytes of every kind.
std::string RandomText(std::mt19937_64& rng,
                       const std::vector<std::string>& values) {
  static const std::vector<std::string> kPieces = {
      "Authorization",
      "authorization: ",
      "Proxy-Authorization:",
      "x-api-key",
      "\"x-api-key\"",
      "\"x-api-key\": \"",
      "api_key=",
      "API_KEY",
      "apikey",
      "OPENAI_API_KEY=",
      "token",
      "Token",
      "\"token\"",
      "github-token",
      "password",
      "PASSWORD",
      "passwd",
      "client_secret",
      "'secret'",
      "cookie",
      "Set-Cookie: ",
      "session_token",
      "name",
      "key",
      "date",
      "ttl",
      "sent",
      "id",
      ":",
      "=",
      " :",
      " = ",
      "\t:",
      "\":\"",
      "': '",
      "\"",
      "'",
      " ",
      "\t",
      "\n",
      "\r\n",
      "&",
      ";",
      ",",
      "}",
      "]",
      "sk-proj-",
      "sk-ant-api03-",
      "AIza",
      "ghp_",
      "xoxb-",
      "eyJhbGciOiJI",
      ".eyJzdWIiOjE.",
      "Bearer ",
      "bearer  ",
      "-----BEGIN ",
      "PRIVATE KEY-----",
      "-----END PRIVATE KEY-----",
      "\\u0073\\u006b",
      "\\n",
      "\\\"",
      "\\\\",
      "\\",
      "%41%42",
      "%2",
      "%",
      "%zz",
      "%3D",
      "2026-11-28T10:00:01.001Z INFO req_id=r000001 path=/v1/chat/x ",
      "user=alice.smith@example.com",
      "\xC3\xA9",
      "\xE2\x82\xAC",
      "\xFF",
      std::string(1, '\0')};
  static const std::string kKeyBytes =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/";
  std::string t;
  const std::size_t pieces = 1 + rng() % 60;
  for (std::size_t k = 0; k < pieces; ++k) {
    const std::string& v = values[rng() % values.size()];
    switch (rng() % 9) {
      case 0:
        t += v;
        break;
      case 1: {
        const std::size_t at = rng() % v.size();
        t += v.substr(at, 1 + rng() % (v.size() - at));
        break;
      }
      case 2: {
        const std::string enc = Base64(std::string(rng() % 3, 'x') + v);
        const std::size_t at = rng() % enc.size();
        t += enc.substr(at, 1 + rng() % (enc.size() - at));
        break;
      }
      case 3:
        for (std::size_t j = rng() % 90; j > 0; --j) {
          t.push_back(kKeyBytes[rng() % kKeyBytes.size()]);
        }
        break;
      case 4:
        t.push_back(static_cast<char>(rng() % 256));
        break;
      case 5:
        // The value with some bytes escaped (%XX or \u00XX): caught only
        // in the decoded readings.
        for (char c : v) {
          char hex[8];
          switch (rng() % 4) {
            case 0:
              std::snprintf(hex, sizeof hex, "%%%02X", std::uint8_t(c));
              t += hex;
              break;
            case 1:
              std::snprintf(hex, sizeof hex, "\\u%04x", std::uint8_t(c));
              t += hex;
              break;
            default:
              t.push_back(c);
          }
        }
        break;
      default:
        t += kPieces[rng() % kPieces.size()];
    }
  }
  return t;
}

using Triple = std::tuple<std::size_t, std::size_t, std::size_t>;
std::vector<Triple> Flat(const std::vector<Redactor::Span>& spans) {
  std::vector<Triple> out;
  for (const auto& s : spans) out.emplace_back(s.begin, s.end, s.hold_from);
  return out;
}
std::vector<Triple> Flat(const std::vector<CredentialMatch>& shapes) {
  std::vector<Triple> out;
  for (const auto& m : shapes) {
    out.emplace_back(m.begin, m.end, static_cast<std::size_t>(m.family));
  }
  return out;
}

// Returns how many texts had something for each rule, so that the caller
// can check the comparison meant something.
std::array<int, 3> ExpectSameAsTheRules(const std::vector<std::string>& values,
                                        WindowBytes expected_class,
                                        std::uint64_t seed) {
  const Set s = Build(values);
  EXPECT_EQ(s.set->window_bytes, expected_class);
  std::mt19937_64 rng(seed);
  std::array<int, 3> fired{};
  OnePass found;
  OnePass split;
  for (int round = 0; round < 4000; ++round) {
    const std::string t = RandomText(rng, values);
    ScanOnce(*s.set, t, &found);
    std::vector<Redactor::Span> runs, headers;
    std::vector<CredentialMatch> shapes;
    FindSecretRuns(*s.set, t, &runs);
    FindCredentialShapes(t, &shapes);
    FindHeaderValues(t, &headers);
    EXPECT_EQ(Flat(found.runs), Flat(runs)) << "round " << round;
    EXPECT_EQ(Flat(found.shapes), Flat(shapes)) << "round " << round;
    EXPECT_EQ(Flat(found.headers), Flat(headers)) << "round " << round;
    // The same rules shared with the helper thread (docs/performance.md,
    // "Redaction, 8 MB, sixth pass"), on every fourth text: a hand-over per
    // text is slow under the sanitizers.
    if (round % 4 == 0) {
      ScanOnceOnTwoThreads(*s.set, t, &split);
      EXPECT_EQ(Flat(split.runs), Flat(runs)) << "two threads, " << round;
      EXPECT_EQ(Flat(split.shapes), Flat(shapes)) << "two threads, " << round;
      EXPECT_EQ(Flat(split.headers), Flat(headers)) << "two threads, " << round;
    }
    if (::testing::Test::HasFailure()) break;
    fired[0] += !runs.empty();
    fired[1] += !shapes.empty();
    fired[2] += !headers.empty();
  }
  return fired;
}

void ExpectEachRuleFired(const std::array<int, 3>& fired) {
  EXPECT_GT(fired[0], 1000) << "secret runs";
  EXPECT_GT(fired[1], 1000) << "credential shapes";
  EXPECT_GT(fired[2], 1000) << "header values";
}

TEST_P(OnePassScan, SameAsTheRulesWithGeneratedKeys) {
  std::mt19937_64 rng(3);
  std::vector<std::string> values;
  for (int i = 0; i < 6; ++i) {
    std::string v = "sk-proj-";
    for (int k = 0; k < 48; ++k) {
      v.push_back(
          "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
              [rng() % 62]);
    }
    values.push_back(v);
  }
  ExpectEachRuleFired(ExpectSameAsTheRules(values, WindowBytes::kKey, 21));
}

TEST_P(OnePassScan, SameAsTheRulesWithShortValues) {
  // Whole values only, whose padded base64 puts '=' in the class.
  ExpectEachRuleFired(
      ExpectSameAsTheRules({"Zq7hW2pLx9", "k3Jd8sPq1Z", "sk-proj-Ab1Cd2Ef3G"},
                           WindowBytes::kKeyOrPad, 22));
}

TEST_P(OnePassScan, SameAsTheRulesWithValuesOfOtherBytes) {
  ExpectEachRuleFired(ExpectSameAsTheRules(
      {"correct horse battery staple 42", "p@ss:w0rd=Tr0ub4dor&3xyz"},
      WindowBytes::kAny, 23));
}

TEST_P(OnePassScan, EmptySetStillFindsShapesAndHeaders) {
  const Set s = Build({});
  OnePass found;
  const std::string t =
      "Authorization: Bearer abcdefghij0123456789\nkey=sk-proj-"
      "Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8\n";
  ScanOnce(*s.set, t, &found);
  EXPECT_TRUE(found.runs.empty());
  std::vector<Redactor::Span> headers;
  std::vector<CredentialMatch> shapes;
  FindHeaderValues(t, &headers);
  FindCredentialShapes(t, &shapes);
  EXPECT_FALSE(headers.empty());
  EXPECT_FALSE(shapes.empty());
  EXPECT_EQ(Flat(found.headers), Flat(headers));
  EXPECT_EQ(Flat(found.shapes), Flat(shapes));
}

// Names and separators at every offset across a block boundary: the
// separator mask is read with the byte before it, carried between blocks.
TEST_P(OnePassScan, HeaderNamesAcrossEveryBlockBoundary) {
  const Set s = Build({});
  OnePass found;
  for (const char* field :
       {"api_key=abc", "\"token\": \"abc\"", "Authorization : Bearer x",
        "x-api-key\t=v", "PASSWORD='p'"}) {
    for (std::size_t pad = 40; pad < 140; ++pad) {
      const std::string t = std::string(pad, '.') + field + " tail";
      ScanOnce(*s.set, t, &found);
      std::vector<Redactor::Span> headers;
      FindHeaderValues(t, &headers);
      ASSERT_EQ(headers.size(), 1u) << field << " at " << pad;
      ASSERT_EQ(Flat(found.headers), Flat(headers)) << field << " at " << pad;
    }
  }
}

}  // namespace
}  // namespace keyref::redaction
