// The credential-shape scanner as it was before it was optimised
// (native/src/credential_shape.cpp at commit fa6e4d3, namespace renamed): the
// oracle credential_shape_test.cpp compares the fast scanner against.
// Kept in step with the RULES of credential_shape.cpp (not its speed):
// the prefix-body rule is mirrored here, and the entropy rule is the public
// keyref::IsHighEntropyToken.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <string_view>
#include <vector>

#include "keyref/credential_shape.h"

namespace keyref_reference {
using keyref::CredentialFamily;
using keyref::CredentialMatch;
namespace {

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
constexpr std::size_t kMinEntropyRun = 32;

inline std::uint8_t Cls(char c) {
  return kClass[static_cast<unsigned char>(c)];
}

inline bool StartsWith(std::string_view s, std::size_t i,
                       std::string_view prefix) {
  return s.size() - i >= prefix.size() &&
         s.compare(i, prefix.size(), prefix) == 0;
}

// Length of the run of bytes in `mask` starting at i.
inline std::size_t RunLength(std::string_view s, std::size_t i,
                             std::uint8_t mask) {
  std::size_t j = i;
  while (j < s.size() && (Cls(s[j]) & mask)) ++j;
  return j - i;
}

struct Prefix {
  std::string_view text;
  std::uint8_t body;     // classes allowed after the prefix
  std::size_t min_body;  // the body needs at least this many bytes
  CredentialFamily family;
};

// The prefix families. Minimum body lengths sit well below the real keys'
// lengths (so truncated pastes are caught) and well above the short words
// people use in names (so `secret:sk-prod` stays a name).
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

}  // namespace

bool IsHighEntropyToken(std::string_view t) noexcept {
  return keyref::IsHighEntropyToken(t);
}

namespace {

// The scanner. `sink(match)` returns false to stop early.
template <typename Sink>
void ScanShapes(std::string_view s, Sink&& sink) {
  std::size_t i = 0;
  std::size_t run_end = 0;  // end of the base64 run that contains i, if any
  const std::size_t n = s.size();
  while (i < n) {
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
            if (!sink(CredentialMatch{tb, te, CredentialFamily::kBearer})) {
              return;
            }
            i = te;
            run_end = 0;
            continue;
          }
          break;
        case '-':
          len = MatchPrivateKey(s, i);
          fam = CredentialFamily::kPrivateKey;
          break;
        default:
          for (const Prefix& p : kPrefixes) {
            if (p.text[0] != s[i] || !StartsWith(s, i, p.text)) continue;
            std::size_t body = RunLength(s, i + p.text.size(), p.body);
            bool upper_or_digit = false;
            for (char c : s.substr(i + p.text.size(), body)) {
              upper_or_digit = upper_or_digit || (Cls(c) & (kUpper | kDigit));
            }
            if (body >= p.min_body && upper_or_digit) {
              len = p.text.size() + body;
              fam = p.family;
              break;
            }
          }
      }
      if (len) {
        if (!sink(CredentialMatch{i, i + len, fam})) return;
        i += len;
        run_end = 0;
        continue;
      }
    }
    if ((cls & kRun) && i >= run_end) {
      // The start of a base64/base64url run: judge it as a whole.
      std::size_t len = RunLength(s, i, kRun);
      run_end = i + len;
      if (len >= kMinEntropyRun && IsHighEntropyToken(s.substr(i, len))) {
        if (!sink(
                CredentialMatch{i, i + len, CredentialFamily::kHighEntropy})) {
          return;
        }
        i += len;
        continue;
      }
    }
    ++i;
  }
}

}  // namespace

void FindCredentialShapes(std::string_view text,
                          std::vector<CredentialMatch>* out) {
  ScanShapes(text, [out](const CredentialMatch& m) {
    out->push_back(m);
    return true;
  });
}

CredentialFamily FirstCredentialShape(std::string_view text) noexcept {
  CredentialFamily first = CredentialFamily::kNone;
  ScanShapes(text, [&first](const CredentialMatch& m) {
    first = m.family;
    return false;
  });
  return first;
}

}  // namespace keyref_reference
