// Rule 3 of the redactor: the values of credential headers and fields, in
// header blocks and in free text, case-insensitive:
//   Authorization: Bearer …        (header line: value up to the line end)
//   "x-api-key": "…"               (JSON/YAML: the quoted value)
//   api_key=…&                     (query strings, cookies, env dumps)
// Found by looking back from every ':' and '=' for a credential name. The
// redactor hands HeaderScanner the separators and name endings of each
// 64-byte block from its one pass over the text (one_pass.cpp), so most
// separators are rejected on the byte before them without a branch.
#include <array>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <string_view>

#include "redaction/internal.h"

namespace keyref::redaction {
namespace {

// Names whose value is always redacted. Compared lowercased with '_' read
// as '-'.
constexpr std::string_view kNames[] = {
    "authorization",
    "proxy-authorization",
    "x-api-key",
    "api-key",
    "apikey",
    "x-goog-api-key",
    "cookie",
    "set-cookie",
    "x-auth-token",
    "x-access-token",
    "private-token",
    "x-amz-security-token",
    "ocp-apim-subscription-key",
    "x-functions-key",
    "token",
    "access-token",
    "refresh-token",
    "id-token",
    "client-secret",
    "password",
    "passwd",
    "api-secret",
    "session-token",
};
// Name endings that are redacted too ("openai-api-key", "github-token").
constexpr std::string_view kSuffixes[] = {"-api-key", "-apikey", "-token",
                                          "-secret", "-password"};
constexpr std::size_t kMaxName = 48;

constexpr std::array<bool, 256> MakeNameChars() {
  std::array<bool, 256> t{};
  for (int c = 'a'; c <= 'z'; ++c) t[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = true;
  for (int c = '0'; c <= '9'; ++c) t[c] = true;
  t['-'] = t['_'] = true;
  return t;
}
constexpr std::array<bool, 256> kNameChar = MakeNameChars();

inline bool IsNameChar(char c) {
  return kNameChar[static_cast<unsigned char>(c)];
}

// Every name and suffix ends in one of these three letters (checked below).
// Compared without a branch per ending: separators are frequent in JSON.
constexpr bool EndsLikeCredentialName(std::string_view last3) {
  std::uint32_t v = Pack3(last3[0], last3[1], last3[2]);
  return (v == Pack3('i', 'o', 'n')) | (v == Pack3('k', 'e', 'y')) |
         (v == Pack3('k', 'i', 'e')) | (v == Pack3('k', 'e', 'n')) |
         (v == Pack3('r', 'e', 't')) | (v == Pack3('o', 'r', 'd')) |
         (v == Pack3('s', 'w', 'd'));
}

constexpr bool AllNamesPassTheEndingFilter() {
  for (std::string_view n : kNames) {
    if (n.size() < 5 || !EndsLikeCredentialName(n.substr(n.size() - 3)) ||
        !EndsLikeCredentialName2(n[n.size() - 2], n[n.size() - 1]) ||
        !kHeaderNameEnd[static_cast<unsigned char>(n.back())]) {
      return false;
    }
  }
  for (std::string_view n : kSuffixes) {
    if (!EndsLikeCredentialName(n.substr(n.size() - 3)) ||
        !EndsLikeCredentialName2(n[n.size() - 2], n[n.size() - 1]) ||
        !kHeaderNameEnd[static_cast<unsigned char>(n.back())]) {
      return false;
    }
  }
  return true;
}
static_assert(AllNamesPassTheEndingFilter(),
              "update EndsLikeCredentialName when a name is added");

// Bit k of kNamesOfLength[len]: kNames[k] is len bytes long.
constexpr std::array<std::uint32_t, kMaxName + 1> MakeNamesOfLength() {
  std::array<std::uint32_t, kMaxName + 1> t{};
  static_assert(std::size(kNames) <= 32, "one bit per name");
  for (std::size_t k = 0; k < std::size(kNames); ++k) {
    t[kNames[k].size()] |= 1u << k;
  }
  return t;
}
constexpr std::array<std::uint32_t, kMaxName + 1> kNamesOfLength =
    MakeNamesOfLength();

bool IsCredentialName(std::string_view raw) {
  if (raw.empty() || raw.size() > kMaxName) return false;
  char buf[kMaxName];
  for (std::size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c == '_') c = '-';
    buf[i] = c;
  }
  std::string_view name(buf, raw.size());
  // Only the names of this length (kNamesOfLength).
  for (std::uint32_t m = kNamesOfLength[name.size()]; m; m &= m - 1) {
    if (name == kNames[__builtin_ctz(m)]) return true;
  }
  for (std::string_view s : kSuffixes) {
    if (name.size() > s.size() &&
        name.compare(name.size() - s.size(), s.size(), s) == 0) {
      return true;
    }
  }
  return false;
}

}  // namespace

void TryHeaderSeparator(std::string_view s, std::size_t sep,
                        std::vector<Redactor::Span>* out) {
  // Back over blanks and one closing quote to the name.
  std::size_t j = sep;
  while (j > 0 && (s[j - 1] == ' ' || s[j - 1] == '\t')) --j;
  bool name_quoted = false;
  if (j > 0 && (s[j - 1] == '"' || s[j - 1] == '\'')) {
    name_quoted = true;
    --j;
  }
  std::size_t name_end = j;
  // Every name and suffix ends in one of these: reject most separators
  // (JSON keys, times, URLs) on three bytes.
  if (name_end < 5 || !EndsLikeCredentialName(s.substr(name_end - 3, 3))) {
    return;
  }
  while (j > 0 && name_end - j <= kMaxName && IsNameChar(s[j - 1])) --j;
  if (j == name_end || name_end - j > kMaxName) return;
  if (!IsCredentialName(s.substr(j, name_end - j))) return;
  std::size_t name_begin = name_quoted && j > 0 ? j - 1 : j;
  // Forward over blanks to the value.
  std::size_t v = sep + 1;
  while (v < s.size() && (s[v] == ' ' || s[v] == '\t')) ++v;
  if (v >= s.size()) return;
  std::size_t end = v;
  char q = s[v];
  if (q == '"' || q == '\'') {
    // A quoted value: up to the closing quote (backslash escapes skipped)
    // or the line end.
    ++v;
    end = v;
    while (end < s.size() && s[end] != q && s[end] != '\n' && s[end] != '\r') {
      end += (s[end] == '\\' && end + 1 < s.size()) ? 2 : 1;
    }
    if (end > s.size()) end = s.size();
  } else if (s[sep] == ':' && !name_quoted) {
    // A header line: the whole rest of the line.
    while (end < s.size() && s[end] != '\n' && s[end] != '\r') ++end;
    while (end > v && (s[end - 1] == ' ' || s[end - 1] == '\t')) --end;
  } else {
    // name=value, or a JSON name with a bare value: up to a delimiter.
    while (end < s.size()) {
      char c = s[end];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '&' ||
          c == ';' || c == ',' || c == '}' || c == ']' || c == '"' ||
          c == '\'') {
        break;
      }
      ++end;
    }
  }
  if (end > v) out->push_back({v, end, name_begin});
}

void FindHeaderValues(std::string_view text, std::vector<Redactor::Span>* out) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == ':' || text[i] == '=') TryHeaderSeparator(text, i, out);
  }
}

}  // namespace keyref::redaction
