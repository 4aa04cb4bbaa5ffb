#include "keyref/ref.h"

#include <array>
#include <cstring>
#include <string>

namespace keyref {
namespace {

constexpr std::size_t kLiteralScanLimit = 1024;  // bytes checked for keys
constexpr std::size_t kTruncateAbove = 4 * kMaxRefLength;  // UTF-8 <= 4 B/char

// Name character sets, one bit each.
enum : std::uint8_t {
  kSecretChars = 1 << 0,   // [A-Za-z0-9._-]        secret, file, op, service
  kEnvChars = 1 << 1,      // [A-Za-z0-9_]
  kAccountChars = 1 << 2,  // [A-Za-z0-9._@+-]      keyring account, pass
};

constexpr std::array<std::uint8_t, 256> MakeNameTable() {
  std::array<std::uint8_t, 256> t{};
  auto all = kSecretChars | kEnvChars | kAccountChars;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = all;
  for (int c = 'a'; c <= 'z'; ++c) t[c] = all;
  for (int c = '0'; c <= '9'; ++c) t[c] = all;
  t['_'] = all;
  t['.'] = kSecretChars | kAccountChars;
  t['-'] = kSecretChars | kAccountChars;
  t['@'] = kAccountChars;
  t['+'] = kAccountChars;
  return t;
}
constexpr std::array<std::uint8_t, 256> kNameChars = MakeNameTable();

inline bool In(char c, std::uint8_t set) {
  return kNameChars[static_cast<unsigned char>(c)] & set;
}

// 1-based character position of byte offset `byte` (counts code points).
std::uint32_t CharPosition(std::string_view s, std::size_t byte) {
  std::uint32_t pos = 1;
  for (std::size_t i = 0; i < byte && i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) ++pos;
  }
  return pos;
}

std::size_t CodePoints(std::string_view s) {
  std::size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

// Byte offset of the first 8-byte word of `s` that may hold a byte outside
// 0x21-0x7E (printable ASCII without space), or of the tail after the last
// whole word: the REF_BAD_CHAR loop starts there. Checks eight bytes at a
// time (SWAR) because every ref passes through this loop.
std::size_t FirstNonGraphicWord(std::string_view s) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
  constexpr std::uint64_t kHigh = 0x8080808080808080ULL;
  std::size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    // High bit set in a lane when the byte is < 0x21, or >= 0x7F.
    std::uint64_t below = (w - kOnes * 0x21) & ~w;
    std::uint64_t above = (w + kOnes * 0x01) | w;
    if ((below | above) & kHigh) break;
  }
  return i;
}

bool StartsWithBearer(std::string_view s) {
  static constexpr std::string_view kBearer = "bearer ";
  if (s.size() < kBearer.size()) return false;
  for (std::size_t i = 0; i < kBearer.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != kBearer[i]) return false;
  }
  return true;
}

// Fails `check` with REF_BAD_NAME at byte `offset` of the whole input.
RefCheck& BadName(RefCheck& check, RefRule rule, std::size_t offset) {
  check.code = ErrorCode::kRefBadName;
  check.rule = rule;
  check.position = static_cast<std::uint32_t>(offset + 1);  // ASCII by now
  return check;
}

// Segments of `set` characters joined by single "/": secret, file, pass.
// `base` is the byte offset of `name` in the whole input.
bool CheckSegments(std::string_view name, std::size_t base, std::uint8_t set,
                   bool allow_dot, RefCheck& check) {
  std::size_t seg_start = 0;
  for (std::size_t i = 0; i <= name.size(); ++i) {
    if (i < name.size() && name[i] != '/') {
      if (!In(name[i], set)) {
        BadName(check, RefRule::kCharNotAllowed, base + i);
        return false;
      }
      continue;
    }
    std::string_view seg = name.substr(seg_start, i - seg_start);
    if (seg.empty()) {
      BadName(check, RefRule::kSegmentEmpty, base + i);
      return false;
    }
    if (seg == "..") {
      BadName(check, RefRule::kSegmentDotDot, base + seg_start);
      return false;
    }
    if (seg == "." && !allow_dot) {
      BadName(check, RefRule::kSegmentDot, base + seg_start);
      return false;
    }
    if (seg[0] == '-') {
      BadName(check, RefRule::kLeadingDash, base + seg_start);
      return false;
    }
    seg_start = i + 1;
  }
  return true;
}

void CheckSecretName(std::string_view name, std::size_t base, RefCheck& c) {
  if (name.size() > 128) {
    BadName(c, RefRule::kNameTooLong, base + 128);
    return;
  }
  CheckSegments(name, base, kSecretChars, false, c);
}

void CheckEnvName(std::string_view name, std::size_t base, RefCheck& c) {
  if (name.size() > 128) {
    BadName(c, RefRule::kNameTooLong, base + 128);
    return;
  }
  if (name[0] >= '0' && name[0] <= '9') {
    BadName(c, RefRule::kEnvFirstChar, base);
    return;
  }
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (!In(name[i], kEnvChars)) {
      BadName(c, RefRule::kCharNotAllowed, base + i);
      return;
    }
  }
}

void CheckKeyringName(std::string_view name, std::size_t base, RefCheck& c) {
  std::size_t slash = name.find('/');
  std::string_view service;
  std::string_view account = name;
  std::size_t account_base = base;
  if (slash != std::string_view::npos) {
    if (name.find('/', slash + 1) != std::string_view::npos) {
      BadName(c, RefRule::kTooManySegments, base + name.find('/', slash + 1));
      return;
    }
    service = name.substr(0, slash);
    account = name.substr(slash + 1);
    account_base = base + slash + 1;
    if (service.empty()) {
      BadName(c, RefRule::kSegmentEmpty, base);
      return;
    }
    if (service.size() > 64) {
      BadName(c, RefRule::kServiceTooLong, base + 64);
      return;
    }
    for (std::size_t i = 0; i < service.size(); ++i) {
      if (!In(service[i], kSecretChars)) {
        BadName(c, RefRule::kCharNotAllowed, base + i);
        return;
      }
    }
    if (service[0] == '-') {
      BadName(c, RefRule::kLeadingDash, base);
      return;
    }
  }
  if (account.empty()) {
    BadName(c, RefRule::kSegmentEmpty, account_base);
    return;
  }
  if (account.size() > 128) {
    BadName(c, RefRule::kAccountTooLong, account_base + 128);
    return;
  }
  for (std::size_t i = 0; i < account.size(); ++i) {
    if (!In(account[i], kAccountChars)) {
      BadName(c, RefRule::kCharNotAllowed, account_base + i);
      return;
    }
  }
  if (account[0] == '-') {
    BadName(c, RefRule::kLeadingDash, account_base);
    return;
  }
  c.parts.service = service;
  c.parts.account = account;
}

// op://VAULT/ITEM/FIELD or op://VAULT/ITEM/SECTION/FIELD. `rest` follows
// "op:"; `base` is its offset.
void CheckOpName(std::string_view rest, std::size_t base, RefCheck& c) {
  if (rest.substr(0, 2) != "//") {
    BadName(c, RefRule::kOpForm, base);
    return;
  }
  std::string_view path = rest.substr(2);
  base += 2;
  c.parts.name = path;
  std::string_view segs[4];
  std::size_t count = 0;
  std::size_t seg_start = 0;
  for (std::size_t i = 0; i <= path.size(); ++i) {
    if (i < path.size()) {
      char ch = path[i];
      if (ch == '?' || ch == '#') {
        BadName(c, RefRule::kQueryString, base + i);
        return;
      }
      if (ch == ' ') {
        bool first = i == seg_start;
        bool last = i + 1 == path.size() || path[i + 1] == '/';
        bool doubled = i + 1 < path.size() && path[i + 1] == ' ';
        if (first || last || doubled) {
          BadName(c, RefRule::kBadSpace, base + i);
          return;
        }
        continue;
      }
      if (ch != '/') {
        if (!In(ch, kSecretChars)) {
          BadName(c, RefRule::kCharNotAllowed, base + i);
          return;
        }
        continue;
      }
    }
    std::string_view seg = path.substr(seg_start, i - seg_start);
    if (seg.empty()) {
      BadName(c, path.empty() ? RefRule::kNameEmpty : RefRule::kSegmentEmpty,
              base + i);
      return;
    }
    if (seg.size() > 64) {
      BadName(c, RefRule::kSegmentTooLong, base + seg_start + 64);
      return;
    }
    if (seg[0] == '-') {
      BadName(c, RefRule::kLeadingDash, base + seg_start);
      return;
    }
    if (seg == "." || seg == "..") {
      BadName(c, seg == "." ? RefRule::kSegmentDot : RefRule::kSegmentDotDot,
              base + seg_start);
      return;
    }
    if (count == 4) {
      BadName(c, RefRule::kTooManySegments, base + seg_start);
      return;
    }
    segs[count++] = seg;
    seg_start = i + 1;
  }
  if (count < 3) {
    BadName(c, RefRule::kTooFewSegments, base + path.size());
    return;
  }
  c.parts.vault = segs[0];
  c.parts.item = segs[1];
  if (count == 4) c.parts.section = segs[2];
  c.parts.field = segs[count - 1];
}

const char* RuleText(RefRule rule) {
  switch (rule) {
    case RefRule::kNone:
      return "";
    case RefRule::kWhitespace:
      return "whitespace";
    case RefRule::kControl:
      return "a control character";
    case RefRule::kNonAscii:
      return "a non-ASCII character (a look-alike letter, a zero-width "
             "character or a byte-order mark)";
    case RefRule::kNameEmpty:
      return "the name is empty";
    case RefRule::kNameTooLong:
      return "the name is longer than 128 characters";
    case RefRule::kCharNotAllowed:
      return "a character the scheme does not allow";
    case RefRule::kSegmentEmpty:
      return "an empty path segment (a leading, trailing or doubled '/')";
    case RefRule::kSegmentDot:
      return "a '.' segment";
    case RefRule::kSegmentDotDot:
      return "a '..' segment";
    case RefRule::kLeadingDash:
      return "a segment that starts with '-'";
    case RefRule::kEnvFirstChar:
      return "a variable name that starts with a digit";
    case RefRule::kServiceTooLong:
      return "a keyring service longer than 64 characters";
    case RefRule::kAccountTooLong:
      return "a keyring account longer than 128 characters";
    case RefRule::kTooManySegments:
      return "too many '/'-separated segments";
    case RefRule::kTooFewSegments:
      return "too few '/'-separated segments";
    case RefRule::kOpForm:
      return "op refs start with op://";
    case RefRule::kQueryString:
      return "a query string or fragment ('?' or '#')";
    case RefRule::kSegmentTooLong:
      return "a segment longer than 64 characters";
    case RefRule::kBadSpace:
      return "a leading, trailing or doubled space in a segment";
  }
  return "";
}

const char* SchemeForm(Scheme scheme) {
  switch (scheme) {
    case Scheme::kSecret:
      return "secret:NAME, NAME 1-128 characters: segments of A-Z a-z 0-9 . _ "
             "- "
             "joined by single '/', no '.' or '..' segment, none starting "
             "with '-' (example: secret:openai/prod)";
    case Scheme::kEnv:
      return "env:NAME, NAME a letter or '_' then up to 127 letters, digits "
             "or '_' (example: env:OPENAI_API_KEY)";
    case Scheme::kKeyring:
      return "keyring:ACCOUNT or keyring:SERVICE/ACCOUNT, SERVICE 1-64 of "
             "A-Z a-z 0-9 . _ -, ACCOUNT 1-128 of A-Z a-z 0-9 . _ @ + -, "
             "neither starting with '-' (example: keyring:openai/alice)";
    case Scheme::kOp:
      return "op://VAULT/ITEM/FIELD or op://VAULT/ITEM/SECTION/FIELD, segments "
             "1-64 of A-Z a-z 0-9 . _ - and single inner spaces, no query "
             "string (example: op://Private/OpenAI/credential)";
    case Scheme::kPass:
      return "pass:PATH, segments of A-Z a-z 0-9 . _ @ + - joined by '/', no "
             "'..', none starting with '-' (example: pass:llm/openai)";
    case Scheme::kFile:
      return "file:NAME, NAME as for secret: (example: file:openai)";
  }
  return "";
}

}  // namespace

const char* SchemeName(Scheme scheme) noexcept {
  // The names are string literals, so data() is NUL-terminated.
  return kSchemes[static_cast<int>(scheme)].name.data();
}

bool SchemeFromName(std::string_view name, Scheme* out) noexcept {
  for (int i = 0; i < kSchemeCount; ++i) {
    if (name == kSchemes[i].name) {
      *out = static_cast<Scheme>(i);
      return true;
    }
  }
  return false;
}

RefCheck CheckRef(std::string_view input, SchemeSet allowed,
                  bool truncated) noexcept {
  RefCheck c;
  // 1. REF_EMPTY
  if (input.empty() && !truncated) {
    c.code = ErrorCode::kRefEmpty;
    return c;
  }
  // 2. REF_LITERAL_SECRET: checked before anything else so that a pasted key
  // is named as such, whatever else is wrong with it. Only the first 1 KiB is
  // scanned: every key family fits in it, and a huge input stays cheap.
  std::string_view head = input.substr(0, kLiteralScanLimit);
  if (StartsWithBearer(head)) {
    c.code = ErrorCode::kRefLiteralSecret;
    c.family = CredentialFamily::kBearer;
    return c;
  }
  if (CredentialFamily fam = FirstCredentialShape(head);
      fam != CredentialFamily::kNone) {
    c.code = ErrorCode::kRefLiteralSecret;
    c.family = fam;
    return c;
  }
  // 3. REF_TOO_LONG, in characters (code points).
  if (truncated || input.size() > kTruncateAbove ||
      (input.size() > kMaxRefLength && CodePoints(input) > kMaxRefLength)) {
    c.code = ErrorCode::kRefTooLong;
    return c;
  }
  // 4. REF_BAD_CHAR: never trimmed, never normalised. Spaces are left to the
  // op name rules when the input is an op ref.
  const bool op_like = input.substr(0, 5) == "op://";
  for (std::size_t i = FirstNonGraphicWord(input); i < input.size(); ++i) {
    unsigned char b = static_cast<unsigned char>(input[i]);
    if (b >= 0x21 && b <= 0x7E) continue;
    if (b == ' ' && op_like) continue;
    c.code = ErrorCode::kRefBadChar;
    c.position = CharPosition(input, i);
    if (b >= 0x80) {
      c.rule = RefRule::kNonAscii;
    } else if (b == ' ' || (b >= 0x09 && b <= 0x0D)) {
      c.rule = RefRule::kWhitespace;
    } else {
      c.rule = RefRule::kControl;
    }
    return c;
  }
  // 5. REF_NO_SCHEME: no "scheme:" prefix. Nothing is guessed from the shape.
  std::size_t colon = input.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    c.code = ErrorCode::kRefNoScheme;
    return c;
  }
  std::string_view scheme_text = input.substr(0, colon);
  for (std::size_t i = 0; i < scheme_text.size(); ++i) {
    char ch = scheme_text[i];
    bool alpha = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
    bool ok = alpha || (i > 0 && ((ch >= '0' && ch <= '9') || ch == '+' ||
                                  ch == '.' || ch == '-'));
    if (!ok) {
      c.code = ErrorCode::kRefNoScheme;
      return c;
    }
  }
  // 6. REF_UNKNOWN_SCHEME: exact, lowercase match only.
  Scheme scheme;
  if (!SchemeFromName(scheme_text, &scheme)) {
    c.code = ErrorCode::kRefUnknownScheme;
    for (int i = 0; i < kSchemeCount; ++i) {
      std::string_view known = kSchemes[i].name;
      if (known.size() != scheme_text.size()) continue;
      bool same = true;
      for (std::size_t k = 0; k < known.size() && same; ++k) {
        char ch = scheme_text[k];
        if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
        same = ch == known[k];
      }
      if (same) {
        c.case_mismatch = true;
        c.scheme = static_cast<Scheme>(i);
        break;
      }
    }
    return c;
  }
  c.scheme = scheme;
  c.scheme_known = true;
  // 7. REF_SCHEME_DISABLED
  if (!allowed.Has(scheme)) {
    c.code = ErrorCode::kRefSchemeDisabled;
    return c;
  }
  // 8. REF_BAD_NAME
  std::string_view rest = input.substr(colon + 1);
  const std::size_t base = colon + 1;
  if (scheme == Scheme::kOp) {
    CheckOpName(rest, base, c);
    return c;
  }
  c.parts.name = rest;
  if (rest.empty()) {
    BadName(c, RefRule::kNameEmpty, base);
    return c;
  }
  switch (scheme) {
    case Scheme::kSecret:
    case Scheme::kFile:
      CheckSecretName(rest, base, c);
      break;
    case Scheme::kEnv:
      CheckEnvName(rest, base, c);
      break;
    case Scheme::kKeyring:
      CheckKeyringName(rest, base, c);
      break;
    case Scheme::kPass:
      CheckSegments(rest, base, kAccountChars, false, c);
      break;
    case Scheme::kOp:
      break;
  }
  return c;
}

Error DescribeRefError(const RefCheck& c) {
  // Nothing here may quote the input: only the scheme, rule and position.
  const std::string pos =
      c.position ? " at position " + std::to_string(c.position) : "";
  switch (c.code) {
    case ErrorCode::kOk:
      return Error(ErrorCode::kOk, "apiKeyRef is valid.");
    case ErrorCode::kRefEmpty:
      return Error(c.code, "apiKeyRef is empty.",
                   "Set it to a reference such as secret:openai or "
                   "env:OPENAI_API_KEY.");
    case ErrorCode::kRefLiteralSecret:
      return Error(
          c.code,
          std::string("apiKeyRef holds what looks like a credential (") +
              CredentialFamilyName(c.family) +
              "), not a reference to one. It was not stored.",
          "Store the key with storeSecret and set apiKeyRef to secret:NAME, "
          "or put it in an environment variable and use env:NAME. If this "
          "value was ever saved or synced, rotate the key.");
    case ErrorCode::kRefTooLong:
      return Error(c.code, "apiKeyRef is longer than 256 characters.",
                   "A ref names where a key lives, e.g. secret:openai/prod; "
                   "it is never the key itself.");
    case ErrorCode::kRefBadChar:
      return Error(
          c.code,
          std::string("apiKeyRef contains ") + RuleText(c.rule) + pos + ".",
          "Retype the ref in plain ASCII. Nothing is trimmed or "
          "normalised: look for a pasted space, a zero-width "
          "character or a look-alike letter.");
    case ErrorCode::kRefNoScheme:
      return Error(c.code, "apiKeyRef has no scheme.",
                   "keyref does not guess what a bare name means. Write "
                   "env:NAME to read the environment variable NAME, or "
                   "secret:NAME to read NAME from the editor's secret store.");
    case ErrorCode::kRefUnknownScheme:
      if (c.case_mismatch) {
        return Error(c.code, "apiKeyRef uses an unknown scheme.",
                     std::string("Schemes are lowercase: write ") +
                         SchemeName(c.scheme) + ": instead.");
      }
      return Error(c.code, "apiKeyRef uses an unknown scheme.",
                   "Known schemes: secret:, env:, keyring:, op://, pass:, "
                   "file:. There is no literal or inline form.");
    case ErrorCode::kRefSchemeDisabled:
      return Error(c.code,
                   std::string("The ") + SchemeName(c.scheme) +
                       " scheme is disabled by policy.",
                   std::string("Add '") + SchemeName(c.scheme) +
                       "' to policy.allowSchemes to enable it, or use an "
                       "enabled scheme.");
    case ErrorCode::kRefBadName:
      return Error(c.code,
                   std::string("The ") + SchemeName(c.scheme) +
                       ": name is invalid: " + RuleText(c.rule) + pos + ".",
                   std::string("Expected ") + SchemeForm(c.scheme) + ".");
    default:
      return Error(c.code, "apiKeyRef was refused.");
  }
}

Result<ParsedRef> ParseRef(std::string_view input, SchemeSet allowed) {
  RefCheck c = CheckRef(input, allowed);
  if (!c.ok()) return DescribeRefError(c);
  ParsedRef p;
  p.scheme = c.scheme;
  p.ref = std::string(input);
  p.name = std::string(c.parts.name);
  p.service = std::string(c.parts.service);
  p.account = std::string(c.parts.account);
  p.vault = std::string(c.parts.vault);
  p.item = std::string(c.parts.item);
  p.section = std::string(c.parts.section);
  p.field = std::string(c.parts.field);
  return p;
}

}  // namespace keyref
