// Finding the countable runs of fingerprinted values in a text: a rolling
// hash of every window of every length the set holds, a prefilter bit on
// that whole-window hash, then the window's SipHash. The text is also read
// with its JSON escapes and then its percent escapes decoded, so that
// "\u0073\u006b…" and "%73%6B…" are caught like the bytes they stand for.
#include <algorithm>
#include <cstring>
#include <string>

#include "keyref/secret_value.h"
#include "redaction/internal.h"

namespace keyref::redaction {
namespace {

// Ring of prefix hashes, longer than the longest window.
constexpr std::size_t kRing = 128;
static_assert(kRing > kMaxWindow, "the ring must hold a whole window");

// How far a run is widened over the token around it: enough for the longest
// public prefix and tail in base64 plus an encoding's partial characters.
constexpr std::size_t kWidenLeft = 24;
constexpr std::size_t kWidenRight = 12;

// What a run is widened over: the characters of keys and of base64 and
// base64url, and on the right the padding '='. Not '=' on the left (it is
// the separator of name=value), nor '.' (the end of a sentence).
inline bool IsKeyByte(char ch) {
  unsigned char c = static_cast<unsigned char>(ch);
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '+' || c == '/';
}

// Appends [begin, end) of every window of `t` that is in `set`, merged into
// maximal runs, each widened over its token.
void ScanView(const PrintSet& set, std::string_view t,
              std::vector<Redactor::Span>* runs) {
  const std::size_t n = t.size();
  if (set.empty() || n < set.lengths.front()) return;
  // Hot loop: everything it reads, in locals.
  const std::uint64_t base = set.keys.base;
  const std::uint64_t mix = set.keys.mix;
  const unsigned shift = 64 - static_cast<unsigned>(set.bits_log2);
  const std::uint64_t* bits = set.bits.data();
  const std::uint8_t* lens = set.lengths.data();
  const std::uint64_t* pows = set.powers.data();
  const std::size_t nlen = set.lengths.size();
  std::uint64_t ring[kRing];
  std::uint64_t prefix = 0;
  ring[0] = 0;
  std::size_t run_begin = 0, run_end = 0;
  bool in_run = false;
  for (std::size_t e = 1; e <= n; ++e) {
    prefix = prefix * base + static_cast<unsigned char>(t[e - 1]);
    ring[e % kRing] = prefix;
    for (std::size_t li = 0; li < nlen; ++li) {
      const std::size_t len = lens[li];
      if (len > e) break;
      const std::uint64_t roll = prefix - ring[(e - len) % kRing] * pows[li];
      // PrintSet::BitOf, inlined.
      const std::size_t bit =
          static_cast<std::size_t>(((roll + len) * mix) >> shift);
      if (!((bits[bit >> 6] >> (bit & 63)) & 1)) continue;
      if (!set.Has(SipHash64(set.keys.k0, set.keys.k1, t.substr(e - len, len))))
        continue;
      const std::size_t b = e - len;
      if (in_run && b <= run_end) {
        run_begin = std::min(run_begin, b);
        run_end = e;
      } else {
        if (in_run) runs->push_back({run_begin, run_end, run_begin});
        run_begin = b;
        run_end = e;
        in_run = true;
      }
    }
  }
  if (in_run) runs->push_back({run_begin, run_end, run_begin});
}

// Widens each run over the token it sits in (by at most kWidenLeft /
// kWidenRight bytes): the public prefix and tail of a key, and the
// characters of an encoding that hold only some of its bits. This looks at
// the text only, never at a secret, so it tells nothing a match did not.
void Widen(std::string_view t, std::size_t from,
           std::vector<Redactor::Span>* runs) {
  for (std::size_t i = from; i < runs->size(); ++i) {
    Redactor::Span& s = (*runs)[i];
    for (std::size_t k = 0;
         k < kWidenLeft && s.begin > 0 && IsKeyByte(t[s.begin - 1]); ++k) {
      --s.begin;
    }
    for (std::size_t k = 0; k < kWidenRight && s.end < t.size() &&
                            (IsKeyByte(t[s.end]) || t[s.end] == '=');
         ++k) {
      ++s.end;
    }
    s.hold_from = s.begin;
  }
}

// A decoded reading of a text: byte i of `bytes` stands for [from[i], to[i])
// of the original. Wiped: it may hold a secret.
struct View {
  std::string bytes;
  std::vector<std::size_t> from, to;
  ~View() { SecureZero(bytes.data(), bytes.size()); }
  void Push(char c, std::size_t f, std::size_t t) {
    bytes.push_back(c);
    from.push_back(f);
    to.push_back(t);
  }
};

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool Hex4(std::string_view t, std::size_t at, unsigned* out) {
  if (at + 4 > t.size()) return false;
  unsigned v = 0;
  for (std::size_t k = 0; k < 4; ++k) {
    int h = HexValue(t[at + k]);
    if (h < 0) return false;
    v = v << 4 | static_cast<unsigned>(h);
  }
  *out = v;
  return true;
}

void PushUtf8(unsigned cp, std::size_t f, std::size_t t, View* v) {
  if (cp < 0x80) {
    v->Push(static_cast<char>(cp), f, t);
  } else if (cp < 0x800) {
    v->Push(static_cast<char>(0xC0 | cp >> 6), f, t);
    v->Push(static_cast<char>(0x80 | (cp & 0x3F)), f, t);
  } else if (cp < 0x10000) {
    v->Push(static_cast<char>(0xE0 | cp >> 12), f, t);
    v->Push(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)), f, t);
    v->Push(static_cast<char>(0x80 | (cp & 0x3F)), f, t);
  } else {
    v->Push(static_cast<char>(0xF0 | cp >> 18), f, t);
    v->Push(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)), f, t);
    v->Push(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)), f, t);
    v->Push(static_cast<char>(0x80 | (cp & 0x3F)), f, t);
  }
}

// JSON string escapes decoded: \uXXXX (surrogate pairs joined), \" \\ \/
// \b \f \n \r \t. Returns false when the text has none.
bool JsonUnescaped(std::string_view t, View* v) {
  bool any = false;
  v->bytes.reserve(t.size());
  for (std::size_t i = 0; i < t.size();) {
    if (t[i] != '\\' || i + 1 >= t.size()) {
      v->Push(t[i], i, i + 1);
      ++i;
      continue;
    }
    char e = t[i + 1];
    unsigned cp = 0;
    if (e == 'u' && Hex4(t, i + 2, &cp)) {
      std::size_t end = i + 6;
      unsigned lo = 0;
      if (cp >= 0xD800 && cp < 0xDC00 && end + 6 <= t.size() &&
          t[end] == '\\' && t[end + 1] == 'u' && Hex4(t, end + 2, &lo) &&
          lo >= 0xDC00 && lo < 0xE000) {
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        end += 6;
      }
      PushUtf8(cp, i, end, v);
      i = end;
      any = true;
      continue;
    }
    const char* simple = std::strchr("\"\\/bfnrt", e);
    if (e != '\0' && simple) {
      static const char kOut[] = "\"\\/\b\f\n\r\t";
      v->Push(kOut[simple - "\"\\/bfnrt"], i, i + 2);
      i += 2;
      any = true;
      continue;
    }
    v->Push(t[i], i, i + 1);
    ++i;
  }
  return any;
}

// Percent escapes (%XX, either case) decoded on top of `in` (whose bytes
// map to the original through in.from / in.to). False when there are none.
bool PercentDecoded(const View& in, View* v) {
  const std::string& t = in.bytes;
  bool any = false;
  v->bytes.reserve(t.size());
  for (std::size_t i = 0; i < t.size();) {
    int hi = -1, lo = -1;
    if (t[i] == '%' && i + 2 < t.size()) {
      hi = HexValue(t[i + 1]);
      lo = HexValue(t[i + 2]);
    }
    if (hi >= 0 && lo >= 0) {
      v->Push(static_cast<char>(hi << 4 | lo), in.from[i], in.to[i + 2]);
      i += 3;
      any = true;
    } else {
      v->Push(t[i], in.from[i], in.to[i]);
      ++i;
    }
  }
  return any;
}

// Scans a decoded view and maps its runs back to the original text.
void ScanDecoded(const PrintSet& set, const View& v,
                 std::vector<Redactor::Span>* out) {
  std::vector<Redactor::Span> runs;
  ScanView(set, v.bytes, &runs);
  Widen(v.bytes, 0, &runs);
  for (const Redactor::Span& s : runs) {
    out->push_back({v.from[s.begin], v.to[s.end - 1], v.from[s.begin]});
  }
}

// True when `t` may hold an escape worth decoding: a \u escape, or any
// escape when some value has a byte JSON escapes without \u.
bool MayHaveJsonEscapes(std::string_view t, bool any_escape) {
  for (std::size_t i = t.find('\\'); i != std::string_view::npos;
       i = t.find('\\', i + 2)) {
    if (i + 1 < t.size() && (t[i + 1] == 'u' || any_escape)) return true;
  }
  return false;
}

bool MayHavePercentEscapes(std::string_view t) {
  for (std::size_t i = t.find('%'); i != std::string_view::npos;
       i = t.find('%', i + 1)) {
    if (i + 2 < t.size() && HexValue(t[i + 1]) >= 0 && HexValue(t[i + 2]) >= 0)
      return true;
  }
  return false;
}

}  // namespace

void FindSecretRuns(const PrintSet& set, std::string_view text,
                    std::vector<Redactor::Span>* out) {
  if (set.empty()) return;
  const std::size_t first = out->size();
  ScanView(set, text, out);
  Widen(text, first, out);
  const bool json = MayHaveJsonEscapes(text, set.json_escapable);
  const bool percent = MayHavePercentEscapes(text);
  if (!json && !percent) return;
  View plain;  // the text itself as a view, when only percent escapes occur
  View unescaped;
  const View* base = &plain;
  if (json && JsonUnescaped(text, &unescaped)) {
    ScanDecoded(set, unescaped, out);
    base = &unescaped;
  } else {
    plain.bytes.assign(text);
    plain.from.resize(text.size());
    plain.to.resize(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
      plain.from[i] = i;
      plain.to[i] = i + 1;
    }
  }
  if (!percent && !MayHavePercentEscapes(base->bytes)) return;
  View decoded;
  if (PercentDecoded(*base, &decoded)) ScanDecoded(set, decoded, out);
}

}  // namespace keyref::redaction
