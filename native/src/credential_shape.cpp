#include "keyref/credential_shape.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>

#include "credential_shape_scan.h"
#include "keyref/secret_value.h"
#include "redaction/one_pass_observers.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#include <immintrin.h>
#endif

namespace keyref {
namespace {

// Which code classifies the blocks of a text: SSE2 (every x86-64 CPU, and
// the scalar loop elsewhere), AVX2, or AVX-512BW, the best the CPU has.
enum class SimdPath { kBaseline, kAvx2, kAvx512 };

// Character classes, one bit each, looked up by byte.
enum : std::uint8_t {
  kUpper = 1 << 0,
  kLower = 1 << 1,
  kDigit = 1 << 2,
  kDashUnderscore = 1 << 3,  // - _
  kBase64Extra = 1 << 4,     // + / =
  kDot = 1 << 5,
  kTokenExtra = 1 << 6,  // ~ (bearer tokens)
};

constexpr std::array<std::uint8_t, 256> MakeTable() {
  std::array<std::uint8_t, 256> t{};
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = kUpper;
  for (int c = 'a'; c <= 'z'; ++c) t[c] = kLower;
  for (int c = '0'; c <= '9'; ++c) t[c] = kDigit;
  t['-'] = kDashUnderscore;
  t['_'] = kDashUnderscore;
  t['+'] = kBase64Extra;
  t['/'] = kBase64Extra;
  t['='] = kBase64Extra;
  t['.'] = kDot;
  t['~'] = kTokenExtra;
  return t;
}
constexpr std::array<std::uint8_t, 256> kClass = MakeTable();

constexpr std::uint8_t kAlnum = kUpper | kLower | kDigit;
constexpr std::uint8_t kWord = kAlnum | kDashUnderscore;
constexpr std::uint8_t kRun = kWord | kBase64Extra;  // base64 and base64url
constexpr std::size_t kMinEntropyRun = 32;  // ScanShapes' masks assume 32

inline std::uint8_t Cls(char c) {
  return kClass[static_cast<unsigned char>(c)];
}

inline bool StartsWith(std::string_view s, std::size_t i,
                       std::string_view prefix) {
  if (s.size() - i < prefix.size()) return false;
  // Prefixes are a few bytes: a loop beats a call to memcmp.
  for (std::size_t k = 0; k < prefix.size(); ++k) {
    if (s[i + k] != prefix[k]) return false;
  }
  return true;
}

// Length of the run of bytes in `mask` starting at i.
inline std::size_t RunLength(std::string_view s, std::size_t i,
                             std::uint8_t mask) {
  std::size_t j = i;
  while (j < s.size() && (Cls(s[j]) & mask)) ++j;
  return j - i;
}

// True when `body` has an uppercase letter or a digit. A prefix body made
// only of lowercase letters, '-' and '_' is a name built from words
// (`sk-openai-production-primary`, `xoxb-slackbot-prod`), not a key: random
// key bodies of 10+ characters contain neither with a probability below
// (28/64)^10, about 1 in 4000 for the shortest (Slack) and far less for
// the others.
inline bool HasUpperOrDigit(std::string_view body) {
  for (char c : body) {
    if (Cls(c) & (kUpper | kDigit)) return true;
  }
  return false;
}

struct Prefix {
  std::string_view text;
  std::uint8_t body;     // classes allowed after the prefix
  std::size_t min_body;  // the body needs at least this many bytes
  CredentialFamily family;
};

// The prefix families. Minimum body lengths sit well below the real keys'
// lengths (so truncated pastes are caught) and well above the short words
// people use in names (so `secret:sk-prod` stays a name). The body must also
// hold an uppercase letter or a digit (HasUpperOrDigit).
constexpr Prefix kPrefixes[] = {
    {"sk-", kWord, 20, CredentialFamily::kSkKey},
    {"AIza", kWord, 30, CredentialFamily::kGoogle},
    {"AKIA", kUpper | kDigit, 16, CredentialFamily::kAws},
    {"ASIA", kUpper | kDigit, 16, CredentialFamily::kAws},
    {"github_pat_", kAlnum | kDashUnderscore, 30, CredentialFamily::kGitHub},
    {"ghp_", kAlnum, 30, CredentialFamily::kGitHub},
    {"gho_", kAlnum, 30, CredentialFamily::kGitHub},
    {"ghu_", kAlnum, 30, CredentialFamily::kGitHub},
    {"ghs_", kAlnum, 30, CredentialFamily::kGitHub},
    {"ghr_", kAlnum, 30, CredentialFamily::kGitHub},
    {"gsk_", kAlnum, 20, CredentialFamily::kGroq},
    {"hf_", kAlnum, 30, CredentialFamily::kHuggingFace},
    {"xai-", kAlnum, 20, CredentialFamily::kXai},
    {"pplx-", kAlnum, 20, CredentialFamily::kPerplexity},
    {"r8_", kAlnum, 20, CredentialFamily::kReplicate},
    {"xoxa-", kAlnum | kDashUnderscore, 10, CredentialFamily::kSlack},
    {"xoxb-", kAlnum | kDashUnderscore, 10, CredentialFamily::kSlack},
    {"xoxp-", kAlnum | kDashUnderscore, 10, CredentialFamily::kSlack},
    {"xoxo-", kAlnum | kDashUnderscore, 10, CredentialFamily::kSlack},
    {"xoxs-", kAlnum | kDashUnderscore, 10, CredentialFamily::kSlack},
    {"xoxr-", kAlnum | kDashUnderscore, 10, CredentialFamily::kSlack},
};

// The public sub-prefixes of the sk- family, longest first where one starts
// another: what follows "sk-" before a key's random part. Known to anyone,
// so the redactor does not count them as secret (PublicPrefixLength).
constexpr std::string_view kSkPublicParts[] = {
    "ant-admin01-", "ant-api03-", "ant-",   "proj-",
    "svcacct-",     "admin-",     "or-v1-", "or-",
};

// eyJ<header>.<payload>.<signature>: header at least 10 bytes in all,
// payload at least 4, signature may be empty (unsigned tokens).
std::size_t MatchJwt(std::string_view s, std::size_t i) {
  if (!StartsWith(s, i, "eyJ")) return 0;
  std::size_t h = RunLength(s, i, kWord);
  if (h < 10 || i + h >= s.size() || s[i + h] != '.') return 0;
  std::size_t p_begin = i + h + 1;
  std::size_t p = RunLength(s, p_begin, kWord);
  if (p < 4 || p_begin + p >= s.size() || s[p_begin + p] != '.') return 0;
  std::size_t sig_begin = p_begin + p + 1;
  return sig_begin + RunLength(s, sig_begin, kWord) - i;
}

// "Bearer <token>" (any case, one or more spaces): returns the token's span.
bool MatchBearer(std::string_view s, std::size_t i, std::size_t* tb,
                 std::size_t* te) {
  static constexpr std::string_view kBearer = "bearer";
  if (s.size() - i < kBearer.size() + 1) return false;
  for (std::size_t k = 0; k < kBearer.size(); ++k) {
    char c = s[i + k];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != kBearer[k]) return false;
  }
  std::size_t j = i + kBearer.size();
  if (s[j] != ' ') return false;
  while (j < s.size() && s[j] == ' ') ++j;
  std::size_t n = RunLength(s, j, kRun | kDot | kTokenExtra);
  if (n < 8) return false;
  *tb = j;
  *te = j + n;
  return true;
}

// A PEM private key block: from "-----BEGIN" to the end of the matching
// "-----END …-----" line, or to the end of the text when it is cut off.
std::size_t MatchPrivateKey(std::string_view s, std::size_t i) {
  if (!StartsWith(s, i, "-----BEGIN ")) return 0;
  std::size_t line_end = s.find("-----", i + 11);
  if (line_end == std::string_view::npos) return 0;
  std::string_view label = s.substr(i + 11, line_end - (i + 11));
  if (label.find("PRIVATE KEY") == std::string_view::npos) return 0;
  std::size_t end = s.find("-----END ", line_end + 5);
  if (end == std::string_view::npos) return s.size() - i;
  std::size_t close = s.find("-----", end + 9);
  if (close == std::string_view::npos) return s.size() - i;
  return close + 5 - i;
}

// Bytes that can start a match at a boundary: the first byte of every
// prefix, 'e' (JWT), 'b'/'B' (Bearer) and '-' (PEM). All are run bytes.
constexpr std::array<bool, 256> MakeFirstBytes() {
  std::array<bool, 256> t{};
  for (const Prefix& p : kPrefixes)
    t[static_cast<unsigned char>(p.text[0])] = true;
  t['e'] = t['b'] = t['B'] = t['-'] = true;
  return t;
}
constexpr std::array<bool, 256> kFirstByte = MakeFirstBytes();
// For each byte, the indices of the prefixes that start with it, in
// kPrefixes order (which decides between prefixes that share a start),
// ended by kNoPrefix.
constexpr std::uint8_t kNoPrefix = 0xFF;
constexpr std::size_t kMaxSameFirst = 8;
using PrefixList = std::array<std::uint8_t, kMaxSameFirst>;
constexpr std::array<PrefixList, 256> MakePrefixesByFirst() {
  std::array<PrefixList, 256> t{};
  for (auto& list : t) {
    for (auto& k : list) k = kNoPrefix;
  }
  std::uint8_t k = 0;
  for (const Prefix& p : kPrefixes) {
    PrefixList& list = t[static_cast<unsigned char>(p.text[0])];
    std::size_t at = 0;
    while (list[at] != kNoPrefix) ++at;
    list[at] = k++;  // fails to compile if more than kMaxSameFirst - 1
  }
  return t;
}
constexpr std::array<PrefixList, 256> kPrefixesByFirst = MakePrefixesByFirst();

// The pairs a match can start with, as 256 bits of allowed next bytes per
// first byte: the first two bytes of every prefix, "ey" (JWT), b or B then e
// or E (Bearer), "--" (PEM): "re" (req_id), "pa" (path), "by" (bytes) are
// made of first bytes and second bytes of pairs but start nothing.
// A fixed table of byte values, the same for every text and secret.
using NextBytes = std::array<std::uint64_t, 4>;
constexpr void AllowPair(std::array<NextBytes, 256>& t, char a, char b) {
  const unsigned char x = static_cast<unsigned char>(b);
  t[static_cast<unsigned char>(a)][x >> 6] |= std::uint64_t{1} << (x & 63);
}
constexpr std::array<NextBytes, 256> MakePairs() {
  std::array<NextBytes, 256> t{};
  for (const Prefix& p : kPrefixes) AllowPair(t, p.text[0], p.text[1]);
  AllowPair(t, 'e', 'y');
  for (char b : {'b', 'B'}) {
    AllowPair(t, b, 'e');
    AllowPair(t, b, 'E');
  }
  AllowPair(t, '-', '-');
  return t;
}
constexpr std::array<NextBytes, 256> kPairs = MakePairs();

inline bool StartsAPair(unsigned char a, unsigned char b) {
  return (kPairs[a][b >> 6] >> (b & 63)) & 1;
}

// The pair filter of the vector paths (BlockMasks::pair): eight buckets,
// one bit each, of first bytes and the bytes that may follow them in a
// match. A byte's buckets are nibble lookups (lo[x & 15] & hi[x >> 4]), so
// a bucket holds every byte whose low nibble is a low nibble of its bytes
// and whose high nibble is a high nibble of them: more than spelled here
// ("sh" also holds 'c' and 'x'; "-r" holds '"' and '}'), never fewer. The
// scan checks each candidate against kPairs, so an extra byte costs a look,
// not a wrong result. Grouped so that the extra pairs are rare in text:
// "ck", "r=" and '"-' are; "re" (req_id), "pa" (path), "by" (bytes) and
// "ha" are not in any bucket.
struct PairBucket {
  std::string_view first;
  std::string_view next;
};
constexpr PairBucket kPairBuckets[8] = {
    {"sh", "kf"}, {"A", "IKS"}, {"g", "ihs"}, {"x", "ao"},
    {"p", "p"},   {"e", "y"},   {"bB", "eE"}, {"-r", "-8"},
};
struct NibbleTables {
  std::array<std::uint8_t, 16> lo{};
  std::array<std::uint8_t, 16> hi{};
  constexpr std::uint8_t Of(unsigned char c) const {
    return static_cast<std::uint8_t>(lo[c & 15] & hi[c >> 4]);
  }
};
// Puts every byte of `bytes` in bucket j (its nibbles' bits).
constexpr void AddToBucket(NibbleTables& t, std::string_view bytes, int j) {
  for (char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    t.lo[c & 15] = static_cast<std::uint8_t>(t.lo[c & 15] | (1u << j));
    t.hi[c >> 4] = static_cast<std::uint8_t>(t.hi[c >> 4] | (1u << j));
  }
}
constexpr NibbleTables MakePairTables(bool next) {
  NibbleTables t;
  for (int j = 0; j < 8; ++j) {
    AddToBucket(t, next ? kPairBuckets[j].next : kPairBuckets[j].first, j);
  }
  return t;
}
constexpr NibbleTables kPairFirst = MakePairTables(false);
constexpr NibbleTables kPairNext = MakePairTables(true);

// Whether bytes a, b pass the pair filter.
constexpr bool PairFilter(unsigned char a, unsigned char b) {
  return (kPairFirst.Of(a) & kPairNext.Of(b)) != 0;
}

// The filter never drops a pair kPairs keeps, and passes no pair of a byte
// 0 (the bytes past the end of a short block, loaded or copied as zeros).
constexpr bool PairFilterKeepsEveryPair() {
  if (kPairFirst.Of(0) != 0 || kPairNext.Of(0) != 0) return false;
  for (int a = 0; a < 256; ++a) {
    if (!kFirstByte[a]) {  // starts no pair (and saves constexpr steps)
      for (std::uint64_t w : kPairs[a]) {
        if (w) return false;
      }
      continue;
    }
    for (int b = 0; b < 256; ++b) {
      const bool pair = (kPairs[a][b >> 6] >> (b & 63)) & 1;
      if (pair &&
          (!kFirstByte[a] || !PairFilter(static_cast<unsigned char>(a),
                                         static_cast<unsigned char>(b)))) {
        return false;
      }
    }
  }
  return true;
}
static_assert(PairFilterKeepsEveryPair(), "a pair outside the pair filter");

// ClassifyBlock (SSE2) spells these bytes out: keep both in step.
constexpr bool FirstBytesAre(std::string_view set) {
  int count = 0;
  for (int c = 0; c < 256; ++c) count += kFirstByte[c];
  for (char c : set) {
    if (!kFirstByte[static_cast<unsigned char>(c)]) return false;
  }
  return count == static_cast<int>(set.size());
}
static_assert(FirstBytesAre("sAghxpreBb-"),
              "update ClassifyBlock when a prefix family is added");

}  // namespace

const char* CredentialFamilyName(CredentialFamily family) noexcept {
  switch (family) {
    case CredentialFamily::kNone:
      return "none";
    case CredentialFamily::kSkKey:
      return "an sk- key (OpenAI, Anthropic, OpenRouter)";
    case CredentialFamily::kGoogle:
      return "a Google API key (AIza)";
    case CredentialFamily::kAws:
      return "an AWS access key id";
    case CredentialFamily::kGitHub:
      return "a GitHub token";
    case CredentialFamily::kGroq:
      return "a Groq key (gsk_)";
    case CredentialFamily::kHuggingFace:
      return "a Hugging Face token (hf_)";
    case CredentialFamily::kXai:
      return "an xAI key (xai-)";
    case CredentialFamily::kPerplexity:
      return "a Perplexity key (pplx-)";
    case CredentialFamily::kReplicate:
      return "a Replicate token (r8_)";
    case CredentialFamily::kSlack:
      return "a Slack token (xox?-)";
    case CredentialFamily::kJwt:
      return "a JSON Web Token";
    case CredentialFamily::kBearer:
      return "a Bearer token";
    case CredentialFamily::kPrivateKey:
      return "a PEM private key";
    case CredentialFamily::kHighEntropy:
      return "a long random-looking token";
  }
  return "none";
}

namespace {

constexpr std::size_t kUuidLength = 36;

bool IsHex(char ch) {
  return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
         (ch >= 'A' && ch <= 'F');
}

// A canonical UUID (8-4-4-4-12 hex digits) starting at i, not glued to
// further alphanumerics. UUIDs are identifiers (profile ids, item ids), not
// keys, so the high-entropy rule judges a run without them.
bool UuidAt(std::string_view t, std::size_t i) {
  if (t.size() - i < kUuidLength) return false;
  for (std::size_t k = 0; k < kUuidLength; ++k) {
    bool dash = k == 8 || k == 13 || k == 18 || k == 23;
    if (dash ? t[i + k] != '-' : !IsHex(t[i + k])) return false;
  }
  bool left_ok = i == 0 || !(Cls(t[i - 1]) & kAlnum);
  bool right_ok =
      i + kUuidLength == t.size() || !(Cls(t[i + kUuidLength]) & kAlnum);
  return left_ok && right_ok;
}

// `t` with every canonical UUID removed, or false when it holds none.
bool StripUuids(std::string_view t, std::string* rest) {
  bool found = false;
  for (std::size_t i = 0; i < t.size();) {
    if (t[i] != '-' && UuidAt(t, i)) {
      if (!found) rest->assign(t.substr(0, i));
      found = true;
      i += kUuidLength;
      continue;
    }
    if (found) rest->push_back(t[i]);
    ++i;
  }
  return found;
}

// False when `t` cannot hold a canonical UUID: one has a '-' at offsets 8,
// 13, 18 and 23. Cheaper than StripUuids, which tries every position.
bool MayHoldUuid(std::string_view t) {
  for (std::size_t p = t.find('-', 8);
       p != std::string_view::npos && p + kUuidLength - 8 <= t.size();
       p = t.find('-', p + 1)) {
    if (t[p + 5] == '-' && t[p + 10] == '-' && t[p + 15] == '-') return true;
  }
  return false;
}

// Per byte, for the cheap rules of IsHighEntropyToken: one table lookup
// instead of several compares.
enum : std::uint8_t {
  kEntDigit = 1 << 0,
  kEntHex = 1 << 1,    // 0-9 a-f A-F
  kEntAlpha = 1 << 2,  // A-Z a-z
};
constexpr std::array<std::uint8_t, 256> MakeEntropyTable() {
  std::array<std::uint8_t, 256> t{};
  for (int c = '0'; c <= '9'; ++c) t[c] = kEntDigit | kEntHex;
  for (int c = 'a'; c <= 'z'; ++c) t[c] = kEntAlpha;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = kEntAlpha;
  for (int c = 'a'; c <= 'f'; ++c) t[c] |= kEntHex;
  for (int c = 'A'; c <= 'F'; ++c) t[c] |= kEntHex;
  return t;
}
constexpr std::array<std::uint8_t, 256> kEntropyClass = MakeEntropyTable();

}  // namespace

bool IsHighEntropyToken(std::string_view t) noexcept {
  if (t.size() < kMinEntropyRun) return false;
  if (t.size() >= kUuidLength && MayHoldUuid(t)) {
    try {
      std::string rest;
      if (StripUuids(t, &rest)) return IsHighEntropyToken(rest);
    } catch (...) {
      // Out of memory: judge the run as it is.
    }
  }
  // The cheap rules first, the entropy last: most long runs in refs are
  // names that have fewer than three digit runs.
  std::uint8_t all = kEntDigit | kEntHex | kEntAlpha;  // AND of the classes
  std::uint8_t any = 0;                                // OR of the classes
  std::size_t digit_runs = 0;
  std::uint8_t prev_digit = 0;
  for (char ch : t) {
    std::uint8_t k = kEntropyClass[static_cast<unsigned char>(ch)];
    std::uint8_t digit = k & kEntDigit;
    all &= k;
    any |= k;
    digit_runs += digit & ~prev_digit;
    prev_digit = digit;
  }
  const bool hex_only = all & kEntHex;
  const bool any_digit = any & kEntDigit;
  const bool any_alpha = any & kEntAlpha;
  double min_entropy;
  if (hex_only) {
    if (!any_digit || !any_alpha) return false;
    min_entropy = 3.0;
  } else {
    if (digit_runs < 3) return false;
    // Changes of class (upper, lower, digit) between consecutive
    // alphanumeric bytes, over the number of such pairs.
    std::size_t alnum = 0;
    std::size_t transitions = 0;
    std::uint8_t prev = 0;
    for (char ch : t) {
      std::uint8_t k = kClass[static_cast<unsigned char>(ch)] & kAlnum;
      if (k) {
        if (prev && prev != k) ++transitions;
        prev = k;
        ++alnum;
      }
    }
    if (alnum < 2) return false;
    double ratio = static_cast<double>(transitions) / (alnum - 1);
    if (ratio < 0.25) return false;
    min_entropy = 3.5;
  }
  // Shannon entropy in bits per byte.
  std::array<std::uint32_t, 256> counts{};
  for (char ch : t) ++counts[static_cast<unsigned char>(ch)];
  double n = static_cast<double>(t.size());
  double entropy = 0;
  for (std::uint32_t c : counts) {
    if (c) {
      double p = c / n;
      entropy -= p * std::log2(p);
    }
  }
  return entropy >= min_entropy;
}

namespace {

using shape_scan::BlockMasks;

// The redactor's extra classes (BlockMasks), one bit each, by byte.
enum : std::uint8_t {
  kXEquals = 1 << 0,
  kXColon = 1 << 1,
  kXEscape = 1 << 2,  // \ %
};
constexpr std::array<std::uint8_t, 256> MakeExtraTable() {
  std::array<std::uint8_t, 256> t{};
  t['='] = kXEquals;
  t[':'] = kXColon;
  t['\\'] = kXEscape;
  t['%'] = kXEscape;
  return t;
}
constexpr std::array<std::uint8_t, 256> kExtra = MakeExtraTable();

// BlockMasks::name_end on the AVX2 and AVX-512 paths, as nibble buckets
// (see kPairBuckets): a byte that ends a credential name's last two
// letters (on en ey ie et rd wd, either case: EndsLikeCredentialName2)
// with the byte before it, or a blank or quote whatever comes before. Each
// bucket holds exactly the bytes spelled here.
struct NameEndBucket {
  std::string_view last;
  std::string_view before;  // empty: any byte
};
constexpr NameEndBucket kNameEndBuckets[7] = {
    {"nN", "oOeE"}, {"yY", "eE"}, {"eE", "iI"}, {"tT", "eE"},
    {"dD", "rRwW"}, {" \"'", ""}, {"\t", ""},
};
constexpr NibbleTables MakeNameEndTables(bool before) {
  NibbleTables t;
  for (int j = 0; j < 7; ++j) {
    const NameEndBucket& b = kNameEndBuckets[j];
    if (before && b.before.empty()) {
      for (int n = 0; n < 16; ++n) {
        t.lo[n] = static_cast<std::uint8_t>(t.lo[n] | (1u << j));
        t.hi[n] = static_cast<std::uint8_t>(t.hi[n] | (1u << j));
      }
      continue;
    }
    AddToBucket(t, before ? b.before : b.last, j);
  }
  return t;
}
constexpr NibbleTables kNameLast = MakeNameEndTables(false);
constexpr NibbleTables kNameBefore = MakeNameEndTables(true);

// Whether byte b, after byte a, passes the name-end filter.
constexpr bool NameEndFilter(unsigned char a, unsigned char b) {
  return (kNameLast.Of(b) & kNameBefore.Of(a)) != 0;
}

// The filter keeps every byte the header rule looks at (HeaderScanner:
// a quote or blank, or a name's last letter after the one before it that
// EndsLikeCredentialName2 wants), holds exactly the bytes spelled in the
// buckets, and no byte 0 (the bytes past a short block).
constexpr bool NameEndFilterIsExact() {
  for (int b = 0; b < 256; ++b) {
    const auto y = static_cast<unsigned char>(b);
    const bool blank = y == ' ' || y == '\t' || y == '"' || y == '\'';
    if (!blank && !redaction::kHeaderNameEnd[y]) {
      // Neither a blank nor a name's last letter: in no bucket (checked
      // once, not after each byte before: clang's constexpr step limit).
      if (kNameLast.Of(y) != 0) return false;
      continue;
    }
    for (int a = 0; a < 256; ++a) {
      const auto x = static_cast<unsigned char>(a);
      const bool name = redaction::kHeaderNameEnd[y] &&
                        redaction::EndsLikeCredentialName2(
                            static_cast<char>(x), static_cast<char>(y));
      if (NameEndFilter(x, y) != (blank || name)) return false;
    }
  }
  return true;
}
static_assert(NameEndFilterIsExact(), "the name-end buckets drifted");

// The masks of b[0, 64), byte by byte: the definition the vector paths
// follow. kAll: the redactor's extra classes too (otherwise left 0).
template <bool kAll>
inline void ClassifyBlockScalar(const unsigned char* b, BlockMasks* m) {
  *m = BlockMasks{};  // every field written (the scan reuses its masks)
  for (std::size_t k = 0; k < 64; ++k) {
    const std::uint8_t c = kClass[b[k]];
    m->run |= static_cast<std::uint64_t>((c & kRun) != 0) << k;
    m->alnum |= static_cast<std::uint64_t>((c & kAlnum) != 0) << k;
    // Byte 63's next byte is in the next block: a first byte there passes.
    const bool pair =
        k < 63 ? PairFilter(b[k], b[k + 1]) : kPairFirst.Of(b[k]) != 0;
    m->pair |= static_cast<std::uint64_t>(pair) << k;
    if (kAll) {
      const std::uint8_t x = kExtra[b[k]];
      m->equals |= static_cast<std::uint64_t>((x & kXEquals) != 0) << k;
      m->colon |= static_cast<std::uint64_t>((x & kXColon) != 0) << k;
      // Byte 0's byte before is in the block before: any byte passes.
      const bool name_end =
          k > 0 ? NameEndFilter(b[k - 1], b[k]) : kNameLast.Of(b[k]) != 0;
      m->name_end |= static_cast<std::uint64_t>(name_end) << k;
      m->escape |= static_cast<std::uint64_t>((x & kXEscape) != 0) << k;
    }
  }
}

#if defined(__SSE2__)
// x in [lo, hi], bytewise, as a mask (the signed-compare range trick).
inline __m128i InRange(__m128i x, char lo, char hi) {
  __m128i shifted =
      _mm_add_epi8(x, _mm_set1_epi8(static_cast<char>(0x80 - lo)));
  return _mm_cmplt_epi8(shifted,
                        _mm_set1_epi8(static_cast<char>(0x80 + (hi - lo + 1))));
}
inline __m128i Eq(__m128i x, char c) {
  return _mm_cmpeq_epi8(x, _mm_set1_epi8(c));
}
inline std::uint64_t Bits16(__m128i v, int shift) {
  return static_cast<std::uint64_t>(
             static_cast<std::uint16_t>(_mm_movemask_epi8(v)))
         << shift;
}

// The same masks, 16 bytes at a time with SSE2 (every x86-64 CPU).
template <bool kAll>
inline void ClassifyBlock(const unsigned char* b, BlockMasks* m) {
  *m = BlockMasks{};  // the loop ors into the masks, which the scan reuses
  for (int q = 0; q < 4; ++q) {
    __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + 16 * q));
    __m128i an =
        _mm_or_si128(_mm_or_si128(InRange(x, 'A', 'Z'), InRange(x, 'a', 'z')),
                     InRange(x, '0', '9'));
    __m128i equals = Eq(x, '=');
    __m128i extra = _mm_or_si128(
        _mm_or_si128(Eq(x, '-'), Eq(x, '_')),
        _mm_or_si128(_mm_or_si128(Eq(x, '+'), Eq(x, '/')), equals));
    __m128i fb =
        _mm_or_si128(_mm_or_si128(_mm_or_si128(Eq(x, 's'), Eq(x, 'A')),
                                  _mm_or_si128(Eq(x, 'g'), Eq(x, 'h'))),
                     _mm_or_si128(_mm_or_si128(Eq(x, 'x'), Eq(x, 'p')),
                                  _mm_or_si128(Eq(x, 'r'), Eq(x, 'e'))));
    fb = _mm_or_si128(
        fb, _mm_or_si128(_mm_or_si128(Eq(x, 'b'), Eq(x, 'B')), Eq(x, '-')));
    const int shift = 16 * q;
    m->alnum |= Bits16(an, shift);
    m->run |= Bits16(_mm_or_si128(an, extra), shift);
    // The pair filter without its look at the next byte (sixteen more
    // compares would cost more than the visits they save).
    m->pair |= Bits16(fb, shift);
    if (kAll) {
      // The name-end filter without its look at the byte before. OR 0x20
      // folds exactly N/n, Y/y, E/e, T/t, D/d onto the lowercase.
      const __m128i folded = _mm_or_si128(x, _mm_set1_epi8(0x20));
      const __m128i ne = _mm_or_si128(
          _mm_or_si128(_mm_or_si128(Eq(folded, 'n'), Eq(folded, 'y')),
                       _mm_or_si128(Eq(folded, 'e'), Eq(folded, 't'))),
          _mm_or_si128(_mm_or_si128(Eq(folded, 'd'), Eq(x, '"')),
                       _mm_or_si128(_mm_or_si128(Eq(x, '\''), Eq(x, ' ')),
                                    Eq(x, '\t'))));
      m->equals |= Bits16(equals, shift);
      m->colon |= Bits16(Eq(x, ':'), shift);
      m->name_end |= Bits16(ne, shift);
      m->escape |= Bits16(_mm_or_si128(Eq(x, '\\'), Eq(x, '%')), shift);
    }
  }
}
#else
template <bool kAll>
inline void ClassifyBlock(const unsigned char* b, BlockMasks* m) {
  ClassifyBlockScalar<kAll>(b, m);
}
#endif

#if defined(__x86_64__) && defined(__GNUC__)
#define KEYREF_HAVE_AVX2_PATH 1
// The same masks, 32 bytes at a time with AVX2, chosen at run time (the
// build targets baseline x86-64). Byte classes are nibble lookups: byte x
// is in a set when lo[x & 15] & hi[x >> 4] is not 0, one bit per group of
// high nibbles that occur in the set (the tables below spell out which).
// test/native/one_pass_test.cpp checks every byte value against the
// definitions.
__attribute__((target("avx2"))) inline __m256i Eq256(__m256i x, char c) {
  return _mm256_cmpeq_epi8(x, _mm256_set1_epi8(c));
}
// Bit k set when byte k of `v` is not 0. The lookups it is used for give
// at most 127 per byte (the pair filter's, which use all eight bits, are
// tested against 0 instead), so "not 0" is "greater than 0" as a signed
// byte: one compare, no complement of the mask afterwards.
__attribute__((target("avx2"))) inline std::uint32_t NonZero32(__m256i v) {
  return static_cast<std::uint32_t>(
      _mm256_movemask_epi8(_mm256_cmpgt_epi8(v, _mm256_setzero_si256())));
}
__attribute__((target("avx2"))) inline std::uint32_t Bits32(__m256i v) {
  return static_cast<std::uint32_t>(_mm256_movemask_epi8(v));
}

// The classes of 32 bytes, bit k for byte k (BlockMasks' fields but the
// pair and name-end filters, which look at a byte's neighbour, maybe in
// the other half: ClassifyBlockAvx2 makes them from each byte's buckets).
struct HalfMasks {
  std::uint32_t run, alnum, equals, colon, escape;
  __m256i pair_first, pair_next, name_last, name_before;
};

// The nibble tables of the AVX2 and AVX-512 paths: byte x is in a class
// when lo[x & 15] & hi[x >> 4] is not 0, one bit per group of high nibbles
// that occur in the class. Their byte shuffles look up within each
// 128-bit lane, so a table is stored twice over (one 256-bit load for AVX2,
// one broadcast load for AVX-512).
struct alignas(32) LaneTable {
  std::uint8_t b[32];
};
constexpr LaneTable TwoLanes(const std::array<std::uint8_t, 16>& t) {
  LaneTable w{};
  for (std::size_t i = 0; i < 32; ++i) w.b[i] = t[i % 16];
  return w;
}

// The pair filter's buckets (kPairBuckets): of a byte as a first byte, and
// as the byte after one.
constexpr LaneTable kPairFirstLo = TwoLanes(kPairFirst.lo);
constexpr LaneTable kPairFirstHi = TwoLanes(kPairFirst.hi);
constexpr LaneTable kPairNextLo = TwoLanes(kPairNext.lo);
constexpr LaneTable kPairNextHi = TwoLanes(kPairNext.hi);
// Run bytes and alphanumerics: 1 = high nibble 2 with + - /, 2 = 3 with
// 0-9, 4 = 3 with =, 8 = 4 or 6 with 1-F (letters), 16 = 5 or 7 with 0-A
// (letters), 32 = 5 with F (_). Alphanumeric: kRunAlnum.
constexpr LaneTable kRunLo =
    TwoLanes({18, 26, 26, 26, 26, 26, 26, 26, 26, 26, 24, 9, 8, 13, 8, 41});
constexpr LaneTable kRunHi =
    TwoLanes({0, 0, 1, 6, 8, 48, 8, 16, 0, 0, 0, 0, 0, 0, 0, 0});
constexpr char kRunAlnum = 2 | 8 | 16;
// The name-end filter's buckets (kNameEndBuckets): of a byte as a name's
// last byte, and as the byte before it.
constexpr LaneTable kNameLastLo = TwoLanes(kNameLast.lo);
constexpr LaneTable kNameLastHi = TwoLanes(kNameLast.hi);
constexpr LaneTable kNameBeforeLo = TwoLanes(kNameBefore.lo);
constexpr LaneTable kNameBeforeHi = TwoLanes(kNameBefore.hi);

__attribute__((target("avx2"), always_inline)) inline __m256i Table256(
    const LaneTable& t) {
  return _mm256_load_si256(reinterpret_cast<const __m256i*>(t.b));
}

template <bool kAll>
__attribute__((target("avx2"), always_inline)) inline HalfMasks
ClassifyHalfAvx2(__m256i x) {
  const __m256i nibble = _mm256_set1_epi8(0x0F);
  const __m256i lo_idx = _mm256_and_si256(x, nibble);
  const __m256i hi_idx = _mm256_and_si256(_mm256_srli_epi16(x, 4), nibble);
  const auto lookup = [&](const LaneTable& lo, const LaneTable& hi)
      __attribute__((target("avx2"), always_inline)) {
    return _mm256_and_si256(_mm256_shuffle_epi8(Table256(lo), lo_idx),
                            _mm256_shuffle_epi8(Table256(hi), hi_idx));
  };
  const __m256i run_bits = lookup(kRunLo, kRunHi);
  HalfMasks h;
  h.run = NonZero32(run_bits);
  h.alnum = NonZero32(_mm256_and_si256(run_bits, _mm256_set1_epi8(kRunAlnum)));
  h.pair_first = lookup(kPairFirstLo, kPairFirstHi);
  h.pair_next = lookup(kPairNextLo, kPairNextHi);
  if (kAll) {
    h.name_last = lookup(kNameLastLo, kNameLastHi);
    h.name_before = lookup(kNameBeforeLo, kNameBeforeHi);
    h.equals = Bits32(Eq256(x, '='));
    h.colon = Bits32(Eq256(x, ':'));
    h.escape = Bits32(_mm256_or_si256(Eq256(x, '\\'), Eq256(x, '%')));
  } else {
    h.equals = h.colon = h.escape = 0;
  }
  return h;
}

// The block's masks from its two halves, written once each (not or-ed in
// per half: a per-call fixed cost on a short text, docs/performance.md,
// "per-call, eighth pass"). The fields kAll leaves out are written 0.
template <bool kAll>
__attribute__((target("avx2"))) inline void ClassifyBlockAvx2(
    const unsigned char* b, BlockMasks* m) {
  const HalfMasks l = ClassifyHalfAvx2<kAll>(
      _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b)));
  const HalfMasks h = ClassifyHalfAvx2<kAll>(
      _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + 32)));
  const auto join = [](std::uint32_t lo, std::uint32_t hi) {
    return static_cast<std::uint64_t>(lo) | static_cast<std::uint64_t>(hi)
                                                << 32;
  };
  m->run = join(l.run, h.run);
  m->alnum = join(l.alnum, h.alnum);
  // Each byte's first-byte buckets against the next byte's next-byte
  // buckets: the next-byte vectors moved down a byte across both halves
  // (byte 63, whose next byte is in the next block, meets all buckets).
  const __m256i ones = _mm256_set1_epi8(-1);
  const __m256i next_lo = _mm256_alignr_epi8(
      _mm256_permute2x128_si256(l.pair_next, h.pair_next, 0x21), l.pair_next,
      1);
  const __m256i next_hi = _mm256_alignr_epi8(
      _mm256_permute2x128_si256(h.pair_next, ones, 0x21), h.pair_next, 1);
  // All eight bits are buckets, so "not 0" is not a signed compare here.
  const auto any = [](__m256i v) __attribute__((target("avx2"))) {
    return ~Bits32(_mm256_cmpeq_epi8(v, _mm256_setzero_si256()));
  };
  m->pair = join(any(_mm256_and_si256(l.pair_first, next_lo)),
                 any(_mm256_and_si256(h.pair_first, next_hi)));
  m->equals = join(l.equals, h.equals);
  m->colon = join(l.colon, h.colon);
  if (kAll) {
    // Each byte's last-letter buckets against the byte before's buckets:
    // the before-vectors moved up a byte across both halves (byte 0, whose
    // byte before is in the block before, meets all buckets). The buckets
    // are bits 0-6, so "not 0" is "greater than 0".
    const __m256i before_lo = _mm256_alignr_epi8(
        l.name_before, _mm256_permute2x128_si256(l.name_before, ones, 0x02),
        15);
    const __m256i before_hi = _mm256_alignr_epi8(
        h.name_before,
        _mm256_permute2x128_si256(h.name_before, l.name_before, 0x03), 15);
    m->name_end = join(NonZero32(_mm256_and_si256(l.name_last, before_lo)),
                       NonZero32(_mm256_and_si256(h.name_last, before_hi)));
  } else {
    m->name_end = 0;
  }
  m->escape = join(l.escape, h.escape);
}

// The same masks, 64 bytes at a time with AVX-512BW where the CPU has it
// (chosen at run time, as AVX2): the same nibble tables, and each class's
// 64 bits come straight out of one byte test (vptestmb) or compare, with no
// movemask per half and no joining of halves (docs/performance.md,
// "per-call, tenth pass").
__attribute__((target("avx512f,avx512bw"), always_inline)) inline __m512i
Table512(const LaneTable& t) {
  // The zero-masking form: the plain one starts from an undefined vector,
  // which GCC 12 warns about.
  return _mm512_maskz_broadcast_i64x4(
      static_cast<__mmask8>(0xFF),
      _mm256_load_si256(reinterpret_cast<const __m256i*>(t.b)));
}
template <bool kAll>
//
// `len` bytes at `b` (1 to 64): a shorter block (a text's last, or a text
// shorter than a block) is loaded under a mask, which reads nothing past
// the text and leaves the other bytes 0, in no class; so it needs neither
// the shifted classification nor the zeroed copy of the other paths.
__attribute__((target("avx512f,avx512bw"))) inline void ClassifyBlockAvx512(
    const unsigned char* b, std::size_t len, BlockMasks* m) {
  const __mmask64 bytes = len >= 64 ? ~__mmask64{0} : (__mmask64{1} << len) - 1;
  const __m512i x = _mm512_maskz_loadu_epi8(bytes, b);
  const __m512i nibble = _mm512_set1_epi8(0x0F);
  const __m512i lo_idx = _mm512_and_si512(x, nibble);
  const __m512i hi_idx = _mm512_and_si512(_mm512_srli_epi16(x, 4), nibble);
  // The buckets of each byte: lo[x_k & 15] & hi[x_k >> 4].
  const auto lookup = [&](const LaneTable& lo, const LaneTable& hi)
      __attribute__((target("avx512f,avx512bw"), always_inline)) {
    return _mm512_and_si512(_mm512_shuffle_epi8(Table512(lo), lo_idx),
                            _mm512_shuffle_epi8(Table512(hi), hi_idx));
  };
  const __m512i ones = _mm512_set1_epi8(-1);
  const __m512i run_bits = lookup(kRunLo, kRunHi);
  m->run = _mm512_test_epi8_mask(run_bits, run_bits);
  m->alnum = _mm512_test_epi8_mask(run_bits, _mm512_set1_epi8(kRunAlnum));
  // Each byte's first-byte buckets against the next byte's next-byte
  // buckets, moved down a byte across the lanes (valignd then palignr: no
  // byte permute in AVX-512BW); byte 63, whose next byte is in the next
  // block, meets all buckets. (The zero-masking valignd: GCC 12 warns
  // about the plain one, as about the plain broadcast.)
  const __m512i pair_next = lookup(kPairNextLo, kPairNextHi);
  const __m512i next = _mm512_alignr_epi8(
      _mm512_maskz_alignr_epi32(static_cast<__mmask16>(0xFFFF), ones, pair_next,
                                4),
      pair_next, 1);
  m->pair = _mm512_test_epi8_mask(lookup(kPairFirstLo, kPairFirstHi), next);
  if (kAll) {
    // Each byte's last-letter buckets against the byte before's buckets,
    // moved up a byte across the lanes; byte 0, whose byte before is in
    // the block before, meets all buckets.
    const __m512i before = lookup(kNameBeforeLo, kNameBeforeHi);
    const __m512i shifted = _mm512_alignr_epi8(
        before,
        _mm512_maskz_alignr_epi32(static_cast<__mmask16>(0xFFFF), before, ones,
                                  12),
        15);
    m->name_end =
        _mm512_test_epi8_mask(lookup(kNameLastLo, kNameLastHi), shifted);
    m->equals = _mm512_cmpeq_epi8_mask(x, _mm512_set1_epi8('='));
    m->colon = _mm512_cmpeq_epi8_mask(x, _mm512_set1_epi8(':'));
    m->escape = _mm512_cmpeq_epi8_mask(x, _mm512_set1_epi8('\\')) |
                _mm512_cmpeq_epi8_mask(x, _mm512_set1_epi8('%'));
  } else {
    m->name_end = m->equals = m->colon = m->escape = 0;
  }
}

// Set only by tests (UseBaselineShapeScanForTesting,
// UseAvx2ShapeScanForTesting).
std::atomic<bool> g_baseline_for_testing{false};
std::atomic<bool> g_avx2_for_testing{false};

// CPUID and XGETBV rather than __builtin_cpu_supports, which needs
// libgcc's __cpu_model: the prebuilt addon is linked with compiler-rt
// (docs/building.md). A path counts only when the OS saves its registers:
// YMM for AVX2; YMM, the opmask registers and all of ZMM for AVX-512.
SimdPath CpuSimdPath() {
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return SimdPath::kBaseline;
  const bool osxsave = c & (1u << 27), avx = c & (1u << 28);
  if (!osxsave || !avx) return SimdPath::kBaseline;
  unsigned xcr0_lo, xcr0_hi;
  __asm__("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
  if ((xcr0_lo & 0x6) != 0x6) return SimdPath::kBaseline;  // XMM, YMM
  if (__get_cpuid_max(0, nullptr) < 7) return SimdPath::kBaseline;
  __cpuid_count(7, 0, a, b, c, d);
  if (!(b & (1u << 5))) return SimdPath::kBaseline;
  const bool avx512bw = (b & (1u << 16)) && (b & (1u << 30));  // F and BW
  if (avx512bw && (xcr0_lo & 0xE0) == 0xE0) return SimdPath::kAvx512;
  return SimdPath::kAvx2;
}

// The path a scan takes: the CPU's best, or the one a test asked for. Run
// once, and again when a test changes its knobs (BestPath keeps it).
SimdPath ChoosePath() {
  const SimdPath cpu = CpuSimdPath();
  if (cpu == SimdPath::kBaseline ||
      g_baseline_for_testing.load(std::memory_order_relaxed)) {
    return SimdPath::kBaseline;
  }
  if (g_avx2_for_testing.load(std::memory_order_relaxed))
    return SimdPath::kAvx2;
  return cpu;
}

// ChoosePath(), kept: one load per text (a call and two loads per text were
// ~1 % of a short text's call). Chosen again when a test changes its knobs.
constexpr int kPathUnknown = -1;
std::atomic<int> g_path{kPathUnknown};

inline SimdPath BestPath() {
  int path = g_path.load(std::memory_order_relaxed);
  if (__builtin_expect(path == kPathUnknown, 0)) {
    int chosen = static_cast<int>(ChoosePath());
    // Not over a path a test has just set from another thread.
    if (!g_path.compare_exchange_strong(path, chosen,
                                        std::memory_order_relaxed)) {
      return static_cast<SimdPath>(path);
    }
    path = chosen;
  }
  return static_cast<SimdPath>(path);
}
#endif

// The masks of one 64-byte block on the path kPath. Inlined into the scan
// compiled for that path (ScanShapesAvx512, ScanShapesAvx2), where the
// compiler can inline the classifier too and keep its masks in registers:
// no call per block (natively, with the driver compiled per path: -10 %
// per 120-byte Scrub call, -4 % per 8 MB: docs/performance.md, "Redaction,
// eleventh pass"). A function with a target attribute cannot be inlined
// into code compiled without it, so ClassifyBlockAvx512 and
// ClassifyBlockAvx2 are plain inline functions, not always_inline: this one
// and ClassifyPart are, so that they reach the function compiled for the
// path first.
template <bool kAll, SimdPath kPath>
__attribute__((always_inline)) inline void Classify(const unsigned char* b,
                                                    BlockMasks* m) {
#if defined(KEYREF_HAVE_AVX2_PATH)
  if constexpr (kPath == SimdPath::kAvx512) {
    return ClassifyBlockAvx512<kAll>(b, 64, m);
  } else if constexpr (kPath == SimdPath::kAvx2) {
    return ClassifyBlockAvx2<kAll>(b, m);
  }
#endif
  ClassifyBlock<kAll>(b, m);
}

// Masks of the 64 bytes from `shift` bytes before a block, made the
// block's own: bit k becomes bit k - shift (0 < shift < 64).
inline void ShiftDown(BlockMasks* m, unsigned shift) {
  m->run >>= shift;
  m->alnum >>= shift;
  m->pair >>= shift;
  m->equals >>= shift;
  m->colon >>= shift;
  m->name_end >>= shift;
  m->escape >>= shift;
}

SimdPath ScanPath() {
#if defined(KEYREF_HAVE_AVX2_PATH)
  return BestPath();
#else
  return SimdPath::kBaseline;
#endif
}

// The masks of the `len` bytes at `b` (1 to 64), a block of a text: bits
// past `len` are 0. `after_text` is true when 64 - len bytes of the same
// text come before `b` (a last block after a full one).
template <bool kAll, SimdPath kPath>
__attribute__((always_inline)) inline void ClassifyPart(const unsigned char* b,
                                                        std::size_t len,
                                                        bool after_text,
                                                        BlockMasks* masks) {
#if defined(KEYREF_HAVE_AVX2_PATH)
  if constexpr (kPath == SimdPath::kAvx512) {
    ClassifyBlockAvx512<kAll>(b, len, masks);  // under a mask when len < 64
    return;
  }
#endif
  if (len == 64) {
    Classify<kAll, kPath>(b, masks);
  } else if (after_text) {
    // The tail of a text longer than a block: the 64 bytes that end
    // where the text ends are classified, and their masks shifted down
    // so that bit 0 is the block's first byte. Each bit is what
    // classifying the block alone gives (the pair and name-end filters,
    // which look at a byte's neighbour, see the real byte before bit 0
    // where alone they let it through: both are filters the rules check
    // again), and the bits past `len` are 0 (shifted in) as the scalar
    // path leaves them. No copy of the text is made.
    Classify<kAll, kPath>(b + len - 64, masks);
    ShiftDown(masks, 64 - static_cast<unsigned>(len));
  } else {
    // A text shorter than a block (a ref, a short line) is copied into a
    // zeroed 64-byte buffer so that it is classified with vectors too,
    // not byte by byte: a zero byte is in none of the classes, so the
    // bits past `len` stay 0 as the scalar path leaves them.
    alignas(32) unsigned char padded[64];
    std::memset(padded, 0, sizeof padded);
    std::memcpy(padded, b, len);
    Classify<kAll, kPath>(padded, masks);
    // The copy may hold up to 63 bytes of the text (a secret, when one is
    // being scrubbed): wiped once classified (docs/threat-model.md).
    SecureZero(padded, sizeof padded);
  }
}

// The scanner. `sink(match)` returns false to stop early.
//
// Step() is the rule at one position i. Most positions cannot change
// anything: a byte outside base64 runs starts nothing, and a byte inside a run
// that was already judged matters only when it can start a prefix, JWT,
// Bearer or PEM match at a boundary. So the driver finds, 64 bytes at a
// time and without a branch per byte, the only positions Step() can act on:
// run starts, and "first bytes" at a boundary. Right after a match, the next
// byte is examined too (the run state was reset there). The result is the
// same as running Step() on every byte (test/native/credential_shape_test.cpp
// checks this against the plain loop).
//
// kAll: the redactor's one pass (native/src/redaction/one_pass.cpp): the
// masks of its other rules are computed with the same loads, and every
// block's masks go to `observer`. The sink must not stop the scan then.
// The observer of the scans that hand no masks on (kAll false).
struct NoObserver {
  void OnBlock(std::size_t, std::size_t, const BlockMasks&) {}
};

// The scan on the path kPath, inlined into a function compiled for that
// path (below), so that its classifier is inlined too.
template <bool kAll, SimdPath kPath, typename Sink, typename Observer>
__attribute__((always_inline)) inline void ScanShapesOn(std::string_view s,
                                                        Sink& sink,
                                                        Observer* observer) {
  const std::size_t n = s.size();
  std::size_t i = 0;
  std::size_t run_end = 0;  // end of the base64 run that contains i, if any
  bool reset = false;       // the last step matched and reset run_end
  bool stop = false;
  // The driver may know, from its masks, the length of the run at hint_at.
  std::size_t hint_at = std::string_view::npos;
  std::size_t hint_len = 0;

  auto step = [&]() {
    reset = false;
    std::uint8_t cls = Cls(s[i]);
    bool boundary = i == 0 || !(Cls(s[i - 1]) & kAlnum);
    if (boundary) {
      std::size_t tb = 0;
      std::size_t te = 0;
      std::size_t len = 0;
      CredentialFamily fam = CredentialFamily::kNone;
      switch (s[i]) {
        case 'e':
          len = MatchJwt(s, i);
          fam = CredentialFamily::kJwt;
          break;
        case 'b':
        case 'B':
          if (MatchBearer(s, i, &tb, &te)) {
            stop = !sink(CredentialMatch{tb, te, CredentialFamily::kBearer});
            i = te;
            run_end = 0;
            reset = true;
            return;
          }
          break;
        case '-':
          len = MatchPrivateKey(s, i);
          fam = CredentialFamily::kPrivateKey;
          break;
        default:
          // Only the prefixes that start with this byte, in kPrefixes order.
          for (std::uint8_t k :
               kPrefixesByFirst[static_cast<unsigned char>(s[i])]) {
            if (k == kNoPrefix) break;
            const Prefix& p = kPrefixes[k];
            if (!StartsWith(s, i, p.text)) continue;
            std::size_t body = RunLength(s, i + p.text.size(), p.body);
            if (body >= p.min_body &&
                HasUpperOrDigit(s.substr(i + p.text.size(), body))) {
              len = p.text.size() + body;
              fam = p.family;
              break;
            }
          }
      }
      if (len) {
        stop = !sink(CredentialMatch{i, i + len, fam});
        i += len;
        run_end = 0;
        reset = true;
        return;
      }
    }
    if ((cls & kRun) && i >= run_end) {
      // The start of a base64/base64url run: judge it as a whole.
      std::size_t len = i == hint_at ? hint_len : RunLength(s, i, kRun);
      run_end = i + len;
      if (len >= kMinEntropyRun && IsHighEntropyToken(s.substr(i, len))) {
        stop =
            !sink(CredentialMatch{i, i + len, CredentialFamily::kHighEntropy});
        i += len;
        return;
      }
    }
    ++i;
  };

  std::uint64_t carry_run =
      0;  // bit 0: the byte before the block is a run byte
  std::uint64_t carry_alnum = 0;  // bit 0: … is alphanumeric
  const unsigned char* text = reinterpret_cast<const unsigned char*>(s.data());
  // Each block is classified one block ahead, so that a run reaching the
  // end of a block is measured on the next block's masks, not byte by byte
  // (an e-mail's domain across a block edge: a visit per log line).
  BlockMasks ahead[2];
  if (n)
    ClassifyPart<kAll, kPath>(text, std::min<std::size_t>(64, n), false,
                              &ahead[0]);
  for (std::size_t block = 0, at = 0; block < n; block += 64, at ^= 1) {
    const std::size_t len = std::min<std::size_t>(64, n - block);
    const BlockMasks& masks = ahead[at];
    BlockMasks& next = ahead[at ^ 1];
    const bool more = block + 64 < n;
    if (more) {
      ClassifyPart<kAll, kPath>(text + block + 64,
                                std::min<std::size_t>(64, n - block - 64), true,
                                &next);
    }
    if (kAll) observer->OnBlock(block, len, masks);
    const std::uint64_t run = masks.run;
    const std::uint64_t alnum = masks.alnum;
    const std::uint64_t run_start = run & ~((run << 1) | carry_run);
    // Bytes at a boundary that, with the byte after them, may start a match
    // (the pair filter: "the", "secret", "req_id", "path" pass none; a
    // match starts with two bytes kPairs keeps, so the text's last byte,
    // whose bit the filter may leave clear, starts none). Step() could at
    // most record a run end at the others, as at short runs below.
    const std::uint64_t pair_at_boundary =
        masks.pair & ~((alnum << 1) | carry_alnum);
    // Run starts of runs long enough for the entropy rule, measured on this
    // block's run bytes and the next block's (its masks are at hand: a run
    // that crosses the block edge and is short after all, such as an
    // e-mail's domain, is no visit). Bits past the next block count as run
    // bytes: a run that fills it is long. A shorter run that starts no
    // match needs no visit: Step() would only record its end, and a later
    // visit inside it (after - _ + / =) measures the rest of the same run,
    // which is shorter still.
    static_assert(kMinEntropyRun == 32, "five doublings cover 32 bytes");
    // The 128 bits of both blocks, as two words (lo: this block).
    std::uint64_t long_lo = run;
    std::uint64_t long_hi = more ? next.run : 0;
    const auto and_above = [&](unsigned k) {  // bit j stays if bit j + k is set
      long_lo &= (long_lo >> k) | (long_hi << (64 - k));
      long_hi &= (long_hi >> k) | (~std::uint64_t{0} << (64 - k));
    };
    // Spelled out: the compiler kept a loop.
    and_above(1);
    and_above(2);
    and_above(4);
    and_above(8);
    and_above(16);
    const std::uint64_t long_start = run_start & long_lo;
    std::uint64_t cand = long_start | pair_at_boundary;
    carry_run = run >> 63;
    carry_alnum = alnum >> 63;
    while (cand) {
      const unsigned bit = static_cast<unsigned>(__builtin_ctzll(cand));
      std::size_t p = block + bit;
      cand &= cand - 1;
      if (p < i) continue;  // inside a match already made
      // Whether a match may start at p: the byte after it can follow it in
      // a shape (or there is none). The pair filter let p through, or p
      // starts a long run.
      const bool pair =
          p + 1 >= n || StartsAPair(static_cast<unsigned char>(s[p]),
                                    static_cast<unsigned char>(s[p + 1]));
      if (!((long_start >> bit) & 1) && !pair) {
        // A first byte whose next byte starts no match with it ("the",
        // "secret", "req_id", "path"), and not the start of a long run: as
        // for short runs above, Step() could at most record a run end.
        continue;
      }
      if ((run_start >> bit) & 1) {
        std::uint64_t rest = ~run >> bit;  // bit 0 is p (a run byte)
        std::size_t run_len =
            rest ? static_cast<std::size_t>(__builtin_ctzll(rest)) : 64 - bit;
        // The run ends inside this block, or at the end of the text (the
        // bits past the text are 0): either way its length is known.
        if (bit + run_len < len || block + len == n) {
          hint_at = p;
          hint_len = run_len;
        } else {
          // It reaches the end of this (full) block and goes on in the
          // next: measured on the next block's masks (bits past the text
          // are 0), as Step() would measure it. A run that is short after
          // all and starts no match needs no visit, as for short runs
          // above ("example" in "user@example.com" across a block edge: a
          // visit per log line).
          run_len += next.run == ~std::uint64_t{0}
                         ? 64 + RunLength(s, block + 128, kRun)
                         : static_cast<std::size_t>(__builtin_ctzll(~next.run));
          hint_at = p;
          hint_len = run_len;
          if (!pair && run_len < kMinEntropyRun) continue;
        }
      }
      i = p;
      do {
        step();
        if (stop) return;
      } while (reset && i < n && (Cls(s[i]) & kRun));
    }
  }
}

#if defined(KEYREF_HAVE_AVX2_PATH)
// The scan compiled for AVX-512BW and for AVX2: ScanShapesOn inlined, with
// its classifier, its observer's work and its sink.
template <bool kAll, typename Sink, typename Observer>
__attribute__((target("avx512f,avx512bw"))) void ScanShapesAvx512(
    std::string_view s, Sink& sink, Observer* observer) {
  ScanShapesOn<kAll, SimdPath::kAvx512>(s, sink, observer);
}
template <bool kAll, typename Sink, typename Observer>
__attribute__((target("avx2"))) void ScanShapesAvx2(std::string_view s,
                                                    Sink& sink,
                                                    Observer* observer) {
  ScanShapesOn<kAll, SimdPath::kAvx2>(s, sink, observer);
}
#endif

// The scan on this CPU's path (or a test's), chosen once per text.
template <bool kAll, typename Sink, typename Observer = NoObserver>
void ScanShapes(std::string_view s, Sink&& sink, Observer* observer) {
#if defined(KEYREF_HAVE_AVX2_PATH)
  switch (BestPath()) {
    case SimdPath::kAvx512:
      return ScanShapesAvx512<kAll>(s, sink, observer);
    case SimdPath::kAvx2:
      return ScanShapesAvx2<kAll>(s, sink, observer);
    case SimdPath::kBaseline:
      break;
  }
#endif
  ScanShapesOn<kAll, SimdPath::kBaseline>(s, sink, observer);
}

#if defined(KEYREF_HAVE_AVX2_PATH)
__attribute__((target("avx512f,avx512bw"))) void ClassifyPartAvx512(
    const unsigned char* b, std::size_t len, bool after_text, BlockMasks* m) {
  ClassifyPart<true, SimdPath::kAvx512>(b, len, after_text, m);
}
__attribute__((target("avx2"))) void ClassifyPartAvx2(const unsigned char* b,
                                                      std::size_t len,
                                                      bool after_text,
                                                      BlockMasks* m) {
  ClassifyPart<true, SimdPath::kAvx2>(b, len, after_text, m);
}
#endif

// ClassifyPart on the path the scan takes (ClassifyForTesting).
void ClassifyPartOnPath(const unsigned char* b, std::size_t len,
                        bool after_text, BlockMasks* m) {
#if defined(KEYREF_HAVE_AVX2_PATH)
  switch (BestPath()) {
    case SimdPath::kAvx512:
      return ClassifyPartAvx512(b, len, after_text, m);
    case SimdPath::kAvx2:
      return ClassifyPartAvx2(b, len, after_text, m);
    case SimdPath::kBaseline:
      break;
  }
#endif
  ClassifyPart<true, SimdPath::kBaseline>(b, len, after_text, m);
}

}  // namespace

void UseBaselineShapeScanForTesting(bool on) noexcept {
#if defined(KEYREF_HAVE_AVX2_PATH)
  g_baseline_for_testing = on;
  g_path = static_cast<int>(ChoosePath());
#else
  (void)on;
#endif
}

void UseAvx2ShapeScanForTesting(bool on) noexcept {
#if defined(KEYREF_HAVE_AVX2_PATH)
  g_avx2_for_testing = on;
  g_path = static_cast<int>(ChoosePath());
#else
  (void)on;
#endif
}

const char* ShapeScanPathName() noexcept {
  switch (ScanPath()) {
    case SimdPath::kAvx512:
      return "avx512bw";
    case SimdPath::kAvx2:
      return "avx2";
    case SimdPath::kBaseline:
      break;
  }
#if defined(__SSE2__)
  return "sse2";
#else
  return "scalar";
#endif
}

void FindCredentialShapes(std::string_view text,
                          std::vector<CredentialMatch>* out) {
  ScanShapes<false>(
      text,
      [out](const CredentialMatch& m) {
        out->push_back(m);
        return true;
      },
      static_cast<NoObserver*>(nullptr));
}

namespace shape_scan {

template <class Observer>
void FindCredentialShapes(std::string_view text,
                          std::vector<CredentialMatch>* out,
                          Observer* observer) {
  ScanShapes<true>(
      text,
      [out](const CredentialMatch& m) {
        out->push_back(m);
        return true;
      },
      observer);
}
template void FindCredentialShapes(std::string_view,
                                   std::vector<CredentialMatch>*,
                                   redaction::OnePassObserver*);
template void FindCredentialShapes(std::string_view,
                                   std::vector<CredentialMatch>*,
                                   redaction::HeaderObserver*);

BlockMasks ClassifyForTesting(const unsigned char* b, std::size_t len,
                              bool after_text) {
  BlockMasks m;
  ClassifyPartOnPath(b, len, after_text, &m);
  return m;
}

}  // namespace shape_scan

std::size_t PublicPrefixLength(std::string_view value) noexcept {
  if (StartsWith(value, 0, "eyJ")) {  // a JWT: its header is public
    std::size_t dot = value.find('.');
    return dot == std::string_view::npos ? 0 : dot + 1;
  }
  for (const Prefix& p : kPrefixes) {
    if (!StartsWith(value, 0, p.text)) continue;
    std::size_t len = p.text.size();
    if (p.family == CredentialFamily::kSkKey) {
      for (std::string_view part : kSkPublicParts) {
        if (StartsWith(value, len, part)) return len + part.size();
      }
    }
    return len;
  }
  return 0;
}

CredentialFamily FirstCredentialShape(std::string_view text) noexcept {
  CredentialFamily first = CredentialFamily::kNone;
  ScanShapes<false>(
      text,
      [&first](const CredentialMatch& m) {
        first = m.family;
        return false;
      },
      static_cast<NoObserver*>(nullptr));
  return first;
}

}  // namespace keyref
