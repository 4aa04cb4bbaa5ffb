// Finding the countable runs of fingerprinted values in a text: a rolling
// hash of every window of every length the set holds (inside the runs of
// bytes such windows can hold: ScanRuns), two prefilter bits from that
// whole-window hash, then the window's SipHash. The text is also read
// with its JSON escapes and then its percent escapes decoded, so that
// "\u0073\u006b…" and "%73%6B…" are caught like the bytes they stand for.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

// What a run is widened over: IsKeyByte (internal.h), and on the right the
// padding '='. Not '=' on the left (it is the separator of name=value), nor
// '.' (the end of a sentence).

// Hashes every window of every length of the set that lies inside
// t[from, to): the rolling hash of the whole window, its prefilter bits
// (PrintSet::BitOf, then SecondBitOf), then its SipHash when both are set. The
// rolling hash of a window does not depend on the bytes before it, so it
// restarts at `from`.
//
// The lengths come as a compile-time list of indices into the set's
// lengths (ascending), so that for the common sets (one to four lengths:
// the run length and its base64 forms) they and their powers live in
// registers and the loop over them is unrolled; ScanRangeAny takes any
// number. Both hash the same windows in the same order.
template <std::size_t... I>
void ScanRangeFixed(const PrintSet& set, std::string_view t, std::size_t from,
                    std::size_t to, RunMerger* merger,
                    std::index_sequence<I...>) {
  // Hot loop: everything it reads, in locals. The prefilter's index is
  // PrintSet::BitOf, ((roll + len) * mix) >> shift with roll = prefix(e) -
  // prefix(e - len) * B^len, spread out (mod 2^64, the same value):
  // m(e) - m(e - len) * B^len + len * mix, where m(e) = prefix(e) * mix is
  // what the ring holds. m steps two bytes at a time, m(e + 1) = m(e - 1) *
  // B^2 + a * mix * B + b * mix (byte_mix tables), so that the multiplies
  // that follow each other are one per two bytes: the loop was bound by
  // that chain and by the multiplier (two multiplies per byte and length
  // and one more before; now one per byte and length and one per byte).
  const std::uint64_t base = set.keys.base;
  const std::uint64_t base2 = base * base;
  const std::uint64_t* byte_mix = set.byte_mix.data();
  const std::uint64_t* byte_mix_base = set.byte_mix_base.data();
  const unsigned shift = 64 - static_cast<unsigned>(set.bits_log2);
  const std::uint64_t* bits = set.bits.data();
  const std::size_t lens[] = {set.lengths[I]...};
  const std::uint64_t pows[] = {set.powers[I]...};
  const std::uint64_t len_mix[] = {(set.lengths[I] * set.keys.mix)...};
  const unsigned char* p =
      reinterpret_cast<const unsigned char*>(t.data()) + from;
  const std::size_t n = to - from;
  std::uint64_t ring[kRing];
  ring[0] = 0;
  // The windows that end at e (m = m(e)), ascending, as ScanRangeAny.
  auto at = [&](std::size_t e, std::uint64_t m) {
    ring[e % kRing] = m;
    auto window = [&](std::size_t len, std::uint64_t pow, std::uint64_t lm) {
      // Without a branch on whether the window fits yet (it flips in every
      // run, and runs are short): one that does not reads ring[0] and its
      // bit is dropped.
      const std::size_t fits = len <= e;
      const std::size_t back = fits ? e - len : 0;
      const std::uint64_t h = m - ring[back % kRing] * pow + lm;
      const std::size_t bit = static_cast<std::size_t>(h >> shift);
      if (!((bits[bit >> 6] >> (bit & 63)) & fits)) return;
      if (!set.SecondProbe(h)) return;
      const std::size_t b = from + e - len;
      if (!set.Has(SipHash64(set.keys.k0, set.keys.k1, t.substr(b, len))))
        return;
      merger->Add(b, from + e);
    };
    (window(lens[I], pows[I], len_mix[I]), ...);
  };
  std::uint64_t m = 0;  // m(e - 1)
  std::size_t e = 1;
  // Up to where the shortest window ends: the ring only (runs are short,
  // so a branch per window that is not taken yet is a misprediction in
  // every run).
  for (const std::size_t shortest = lens[0]; e + 1 < shortest && e < n;
       e += 2) {
    const unsigned char a = p[e - 1], b = p[e];
    ring[e % kRing] = m * base + byte_mix[a];
    m = m * base2 + (byte_mix_base[a] + byte_mix[b]);
    ring[(e + 1) % kRing] = m;
  }
  for (; e < n; e += 2) {
    const unsigned char a = p[e - 1], b = p[e];
    const std::uint64_t m1 = m * base + byte_mix[a];
    const std::uint64_t m2 = m * base2 + (byte_mix_base[a] + byte_mix[b]);
    at(e, m1);
    at(e + 1, m2);
    m = m2;
  }
  if (e == n) at(e, m * base + byte_mix[p[e - 1]]);
}

// ScanRangeFixed for a range of at most PrintSet::kShortRange bytes (most
// runs of ordinary text: words, paths, timestamps), the same windows with
// the same prefilter bits and in the same order, computed without the
// chain of dependent multiplies that ScanRangeFixed's prefix hashes are
// (the largest part of its time on a short range: docs/performance.md,
// "per-call, seventh pass"). With s(e) = sum over k < e of p[k] * mix *
// B^-k, a prefix sum, m(e) = B^(e-1) * s(e), so the prefilter's value for
// the window of length len ending at e is B^(e-1) * (s(e) - s(e - len)) +
// len * mix (mod 2^64: the same value, bit for bit). Each term is one
// multiply that depends on no other, and the sum is a chain of adds. The
// bits of every window are gathered first (no branch per window), then
// the windows whose bit is set are checked in the order ScanRangeFixed
// checks them (by end, then by length), so the merger sees the same
// sequence. What is hashed, and so the time, still depends on the range's
// length and on whole-window hits only (docs/threat-model.md, "Timing").
template <std::size_t... I>
void ScanRangeShort(const PrintSet& set, std::string_view t, std::size_t from,
                    std::size_t to, RunMerger* merger,
                    std::index_sequence<I...>) {
  constexpr std::size_t kMax = PrintSet::kShortRange;
  const unsigned char* p =
      reinterpret_cast<const unsigned char*>(t.data()) + from;
  const std::size_t n = to - from;  // <= kMax
  const std::uint64_t* mix_inv_pow = set.mix_inv_pow.data();
  const std::uint64_t* base_pow = set.base_pow.data();
  const unsigned shift = 64 - static_cast<unsigned>(set.bits_log2);
  const std::uint64_t* bits = set.bits.data();
  std::uint64_t sum[kMax + 1];
  sum[0] = 0;
  std::uint64_t acc = 0;
  std::size_t k = 0;
  for (; k + 2 <= n; k += 2) {
    const std::uint64_t a = p[k] * mix_inv_pow[k];
    const std::uint64_t b = p[k + 1] * mix_inv_pow[k + 1];
    sum[k + 1] = acc + a;
    acc += a + b;
    sum[k + 2] = acc;
  }
  if (k < n) sum[n] = acc + p[k] * mix_inv_pow[k];
  // hits[i] bit e - 1: the window of length lengths[I] ending at e has its
  // prefilter bit set.
  std::uint64_t hits[sizeof...(I)] = {};
  auto gather = [&](std::size_t i, std::size_t len) {
    const std::uint64_t len_mix = len * set.keys.mix;
    std::uint64_t h = 0;
    for (std::size_t e = len; e <= n; ++e) {
      const std::size_t bit = static_cast<std::size_t>(
          ((sum[e] - sum[e - len]) * base_pow[e - 1] + len_mix) >> shift);
      h |= ((bits[bit >> 6] >> (bit & 63)) & 1) << (e - 1);
    }
    hits[i] = h;
  };
  (gather(I, set.lengths[I]), ...);
  std::uint64_t any = (hits[I] | ...);
  while (any) {
    const std::size_t e = static_cast<std::size_t>(__builtin_ctzll(any)) + 1;
    any &= any - 1;
    auto window = [&](std::size_t i, std::size_t len) {
      if (!((hits[i] >> (e - 1)) & 1)) return;
      if (!set.SecondProbe((sum[e] - sum[e - len]) * base_pow[e - 1] +
                           len * set.keys.mix)) {
        return;
      }
      const std::size_t b = from + e - len;
      if (!set.Has(SipHash64(set.keys.k0, set.keys.k1, t.substr(b, len))))
        return;
      merger->Add(b, from + e);
    };
    (window(I, set.lengths[I]), ...);
  }
}

void ScanRangeAny(const PrintSet& set, std::string_view t, std::size_t from,
                  std::size_t to, RunMerger* merger) {
  const std::uint64_t base = set.keys.base;
  const std::uint64_t mix = set.keys.mix;
  const unsigned shift = 64 - static_cast<unsigned>(set.bits_log2);
  const std::uint64_t* bits = set.bits.data();
  const std::uint8_t* lens = set.lengths.data();
  const std::uint64_t* pows = set.powers.data();
  const std::size_t nlen = set.lengths.size();
  const unsigned char* p =
      reinterpret_cast<const unsigned char*>(t.data()) + from;
  const std::size_t n = to - from;
  std::uint64_t ring[kRing];
  std::uint64_t prefix = 0;
  ring[0] = 0;
  for (std::size_t e = 1; e <= n; ++e) {
    prefix = prefix * base + p[e - 1];
    ring[e % kRing] = prefix;
    for (std::size_t li = 0; li < nlen; ++li) {
      const std::size_t len = lens[li];
      if (len > e) break;
      const std::uint64_t roll = prefix - ring[(e - len) % kRing] * pows[li];
      // PrintSet::BitOf, inlined.
      const std::uint64_t h = (roll + len) * mix;
      const std::size_t bit = static_cast<std::size_t>(h >> shift);
      if (!((bits[bit >> 6] >> (bit & 63)) & 1)) continue;
      if (!set.SecondProbe(h)) continue;
      const std::size_t b = from + e - len;
      if (!set.Has(SipHash64(set.keys.k0, set.keys.k1, t.substr(b, len))))
        continue;
      merger->Add(b, from + e);
    }
  }
}

// Inlined into its callers: on a short text the one pass calls it once or
// twice, and a call level is a measurable part of a range's time.
__attribute__((always_inline)) inline void ScanRange(const PrintSet& set,
                                                     std::string_view t,
                                                     std::size_t from,
                                                     std::size_t to,
                                                     RunMerger* merger) {
  if (to - from <= PrintSet::kShortRange) {
    switch (set.lengths.size()) {
      case 1:
        return ScanRangeShort(set, t, from, to, merger,
                              std::make_index_sequence<1>());
      case 2:
        return ScanRangeShort(set, t, from, to, merger,
                              std::make_index_sequence<2>());
      case 3:
        return ScanRangeShort(set, t, from, to, merger,
                              std::make_index_sequence<3>());
      case 4:
        return ScanRangeShort(set, t, from, to, merger,
                              std::make_index_sequence<4>());
      default:
        break;
    }
  }
  switch (set.lengths.size()) {
    case 1:
      return ScanRangeFixed(set, t, from, to, merger,
                            std::make_index_sequence<1>());
    case 2:
      return ScanRangeFixed(set, t, from, to, merger,
                            std::make_index_sequence<2>());
    case 3:
      return ScanRangeFixed(set, t, from, to, merger,
                            std::make_index_sequence<3>());
    case 4:
      return ScanRangeFixed(set, t, from, to, merger,
                            std::make_index_sequence<4>());
    default:
      return ScanRangeAny(set, t, from, to, merger);
  }
}

// Bit k set when b[k] is a byte windows of the set may hold (key bytes, and
// '=' when `pad`). Zero bytes are in neither class, so a short block padded
// with zeros has no bits past its end.
inline std::uint64_t WindowByteMaskScalar(const unsigned char* b, bool pad) {
  std::uint64_t m = 0;
  for (std::size_t k = 0; k < 64; ++k) {
    const bool in = IsKeyByte(static_cast<char>(b[k])) || (pad && b[k] == '=');
    m |= static_cast<std::uint64_t>(in) << k;
  }
  return m;
}

#if defined(__SSE2__)
// x in [lo, hi], bytewise (the signed-compare range trick).
inline __m128i InRange(__m128i x, char lo, char hi) {
  const __m128i shifted =
      _mm_add_epi8(x, _mm_set1_epi8(static_cast<char>(0x80 - lo)));
  return _mm_cmplt_epi8(shifted,
                        _mm_set1_epi8(static_cast<char>(0x80 + (hi - lo + 1))));
}
inline __m128i Eq(__m128i x, char c) {
  return _mm_cmpeq_epi8(x, _mm_set1_epi8(c));
}
// The same mask, 16 bytes at a time (SSE2: every x86-64 CPU).
inline std::uint64_t WindowByteMask(const unsigned char* b, bool pad) {
  std::uint64_t m = 0;
  const __m128i pad_eq = _mm_set1_epi8(pad ? '=' : '-');
  for (int q = 0; q < 4; ++q) {
    const __m128i x =
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + 16 * q));
    // '+' .. '/' is + , - . /: ',' and '.' are dropped below.
    const __m128i in = _mm_or_si128(
        _mm_or_si128(_mm_or_si128(InRange(x, 'A', 'Z'), InRange(x, 'a', 'z')),
                     _mm_or_si128(InRange(x, '0', '9'), InRange(x, '+', '/'))),
        _mm_or_si128(Eq(x, '_'), _mm_cmpeq_epi8(x, pad_eq)));
    const __m128i not_key = _mm_or_si128(Eq(x, ','), Eq(x, '.'));
    m |= static_cast<std::uint64_t>(static_cast<std::uint16_t>(
             _mm_movemask_epi8(_mm_andnot_si128(not_key, in))))
         << (16 * q);
  }
  return m;
}
#else
inline std::uint64_t WindowByteMask(const unsigned char* b, bool pad) {
  return WindowByteMaskScalar(b, pad);
}
#endif

}  // namespace

// Skipping what cannot match, without a timing oracle (docs/threat-model.md,
// "Timing"): a window of the set is made only of bytes of the set's class
// (WindowBytes: key bytes; '=' too when a padded base64 form is held; every
// byte when some window holds another byte). That class is one of three
// FIXED sets, chosen by which kinds of window the set holds, never built
// from the bytes of a secret; so which positions are read depends on the
// text and on that choice only. A window holding a byte outside the class
// cannot be in the set, so skipping it changes no result; every window
// inside a long enough run of class bytes is hashed whole, as before, so the
// time still depends on whole-window matches only, never on part of one.
// What the time can tell beyond that is the class, i.e. whether some value
// holds a byte outside A-Z a-z 0-9 - _ + / (and whether a short value is
// held, which the window lengths tell already): a kind of secret, never its
// characters.
void RunScanner::Hash(std::size_t from, std::size_t to) {
  ScanRange(set_, text_, from, to, &merger_);
}

void RunScanner::HashAndRemember(std::size_t from, std::size_t to,
                                 std::size_t first, std::size_t second) {
  const std::size_t before = merger_.added;
  ScanRange(set_, text_, from, to, &merger_);
  if (merger_.added == before) {
    if (seen_[first].len != 0) seen_[second] = seen_[first];
    seen_[first].from = static_cast<std::uint32_t>(from);
    seen_[first].len = static_cast<std::uint8_t>(to - from);
  }
}

void ScanRuns(const PrintSet& set, std::string_view t,
              std::vector<Redactor::Span>* runs) {
  RunScanner scanner(set, t, runs);
  if (scanner.reads_blocks()) {
    const bool pad = set.window_bytes == WindowBytes::kKeyOrPad;
    const unsigned char* text =
        reinterpret_cast<const unsigned char*>(t.data());
    for (std::size_t block = 0; block < t.size(); block += 64) {
      const std::size_t len = std::min<std::size_t>(64, t.size() - block);
      const unsigned char* b = text + block;
      alignas(16) unsigned char padded[64];
      if (len < 64) {
        std::memset(padded, 0, sizeof padded);
        std::memcpy(padded, b, len);
        b = padded;
      }
      scanner.Block(block, WindowByteMask(b, pad));
      // The copy may hold up to 63 bytes of the text: wiped once read.
      if (len < 64) SecureZero(padded, sizeof padded);
    }
  }
  scanner.Finish();
}

namespace {

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
  ScanRuns(set, v.bytes, &runs);
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
  ScanRuns(set, text, out);
  FinishSecretRuns(set, text, first, true, out);
}

void FinishSecretRuns(const PrintSet& set, std::string_view text,
                      std::size_t first, bool may_have_escapes,
                      std::vector<Redactor::Span>* out) {
  if (set.empty()) return;
  if (out->size() > first) Widen(text, first, out);
  if (!may_have_escapes) return;
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
