// The process-wide fingerprint store: keyed hashes (SipHash-2-4 under a
// per-process random key) of every 8-byte window of every encoded form of
// every value registered in the process. Never the values themselves.
#include <openssl/rand.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <string>

#include "keyref/secret_value.h"
#include "redaction/internal.h"

namespace keyref::redaction {
namespace {

inline std::uint64_t Rotl(std::uint64_t x, int b) {
  return (x << b) | (x >> (64 - b));
}

// SipHash-2-4 state (Aumasson and Bernstein, 2012): the one round both
// hashes below share.
struct SipState {
  std::uint64_t v0, v1, v2, v3;
  SipState(std::uint64_t k0, std::uint64_t k1, std::uint64_t v1_tweak)
      : v0(k0 ^ 0x736f6d6570736575ULL),
        v1(k1 ^ 0x646f72616e646f6dULL ^ v1_tweak),
        v2(k0 ^ 0x6c7967656e657261ULL),
        v3(k1 ^ 0x7465646279746573ULL) {}
  void Round() {
    v0 += v1;
    v1 = Rotl(v1, 13);
    v1 ^= v0;
    v0 = Rotl(v0, 32);
    v2 += v3;
    v3 = Rotl(v3, 16);
    v3 ^= v2;
    v0 += v3;
    v3 = Rotl(v3, 21);
    v3 ^= v0;
    v2 += v1;
    v1 = Rotl(v1, 17);
    v1 ^= v2;
    v2 = Rotl(v2, 32);
  }
  // Two compression rounds on one 64-bit word.
  void Compress(std::uint64_t m) {
    v3 ^= m;
    Round();
    Round();
    v0 ^= m;
  }
  // Four finalisation rounds; the caller xors its constant in first.
  std::uint64_t Finish() {
    Round();
    Round();
    Round();
    Round();
    return v0 ^ v1 ^ v2 ^ v3;
  }
};

}  // namespace

std::uint64_t SipHash8(std::uint64_t k0, std::uint64_t k1, std::uint64_t m) {
  SipState st(k0, k1, 0);
  st.Compress(m);
  st.Compress(std::uint64_t{8} << 56);  // length 8, no tail
  st.v2 ^= 0xff;
  return st.Finish();
}

void SipHash128(std::uint64_t k0, std::uint64_t k1, std::string_view in,
                std::uint64_t* lo, std::uint64_t* hi) {
  SipState st(k0, k1, 0xee);
  const std::size_t n = in.size();
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t m;
    std::memcpy(&m, in.data() + i, 8);
    st.Compress(m);
  }
  // The tail, little-endian, with the length in the top byte.
  std::uint64_t b = static_cast<std::uint64_t>(n) << 56;
  for (std::size_t k = 0; i + k < n; ++k) {
    b |= std::uint64_t{static_cast<unsigned char>(in[i + k])} << (8 * k);
  }
  st.Compress(b);
  st.v2 ^= 0xee;
  *lo = st.Finish();
  st.v1 ^= 0xdd;
  *hi = st.Finish();
}

namespace {

inline std::uint64_t Load8(const char* p) {
  std::uint64_t w;
  std::memcpy(&w, p, 8);
  return w;
}

inline std::uint32_t Load4(const char* p) {
  std::uint32_t w;
  std::memcpy(&w, p, 4);
  return w;
}

inline std::size_t Prefilter4(const FingerprintSnapshot& fp, std::uint32_t w) {
  return static_cast<std::size_t>((w * fp.mul4) >>
                                  (64 - FingerprintSnapshot::kBits4Log2));
}

inline bool TestBit(const std::vector<std::uint64_t>& bits, std::size_t h) {
  return (bits[h >> 6] >> (h & 63)) & 1;
}

inline std::size_t Prefilter(const FingerprintSnapshot& fp, std::uint64_t w) {
  return static_cast<std::size_t>((w * fp.mul) >>
                                  (64 - FingerprintSnapshot::kBitsLog2));
}

// Encoders. Each appends to `out`, a string the caller wipes.
void Base64(std::string_view in, bool url, bool pad, std::string* out) {
  const char* abc =
      url ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
          : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    std::uint32_t v = (std::uint8_t(in[i]) << 16) |
                      (std::uint8_t(in[i + 1]) << 8) | std::uint8_t(in[i + 2]);
    out->push_back(abc[v >> 18]);
    out->push_back(abc[(v >> 12) & 63]);
    out->push_back(abc[(v >> 6) & 63]);
    out->push_back(abc[v & 63]);
  }
  std::size_t rest = in.size() - i;
  if (rest == 0) return;
  std::uint32_t v = std::uint8_t(in[i]) << 16;
  if (rest == 2) v |= std::uint8_t(in[i + 1]) << 8;
  out->push_back(abc[v >> 18]);
  out->push_back(abc[(v >> 12) & 63]);
  if (rest == 2) out->push_back(abc[(v >> 6) & 63]);
  if (pad) out->append(rest == 1 ? "==" : "=");
}

void Percent(std::string_view in, bool lower, std::string* out) {
  const char* hex = lower ? "0123456789abcdef" : "0123456789ABCDEF";
  for (char ch : in) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out->push_back(ch);
    } else {
      out->push_back('%');
      out->push_back(hex[c >> 4]);
      out->push_back(hex[c & 15]);
    }
  }
}

void JsonEscape(std::string_view in, std::string* out) {
  static const char* hex = "0123456789abcdef";
  for (char ch : in) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(ch);
    } else if (c < 0x20) {
      out->append("\\u00");
      out->push_back(hex[c >> 4]);
      out->push_back(hex[c & 15]);
    } else {
      out->push_back(ch);
    }
  }
}

// A string that wipes itself: encoded forms of a secret are secrets too.
struct WipedString {
  std::string s;
  ~WipedString() { SecureZero(s.data(), s.size()); }
};

}  // namespace

FingerprintStore& FingerprintStore::Get() {
  // Function-local static: created on first use, thread-safe (C++11), and
  // never destroyed before the last Redactor of the process.
  static FingerprintStore* store = new FingerprintStore();
  return *store;
}

FingerprintStore::FingerprintStore() {
  auto snap = std::make_shared<FingerprintSnapshot>();
  std::uint64_t key[6];
  if (RAND_bytes(reinterpret_cast<unsigned char*>(key), sizeof key) != 1) {
    throw std::runtime_error("keyref: the OS random generator failed");
  }
  snap->k0 = key[0];
  snap->k1 = key[1];
  snap->mul = key[2] | 1;  // odd: multiply-shift hashing
  snap->mul4 = key[3] | 1;
  digest_k0_ = key[4];
  digest_k1_ = key[5];
  SecureZero(key, sizeof key);
  snap_ = std::move(snap);
}

std::shared_ptr<const FingerprintSnapshot> FingerprintStore::Snapshot() const {
  return std::atomic_load(&snap_);
}

FingerprintStore::Digest FingerprintStore::DigestOf(
    std::string_view value) const noexcept {
  Digest d;
  SipHash128(digest_k0_, digest_k1_, value, &d.lo, &d.hi);
  return d;
}

void FingerprintStore::Add(std::string_view value) {
  if (value.size() < kWindow) return;  // too short to fingerprint
  const Digest digest = DigestOf(value);
  // Held for the whole of a first Add, so that two threads adding the same
  // new value cannot both skip it, nor both rebuild the snapshot.
  std::lock_guard<std::mutex> lock(mu_);
  // Fingerprints are never removed, so a value recorded once stays caught:
  // re-registering it (every cached resolution) need not rebuild anything.
  if (added_.count(digest)) return;
  // The forms, one after another in `forms`, separated by `cuts`.
  WipedString forms;
  std::vector<std::size_t> cuts;
  auto cut = [&] { cuts.push_back(forms.s.size()); };
  forms.s.reserve(value.size() * 20 + 16);
  forms.s.append(value);
  cut();
  for (bool url : {false, true}) {
    Base64(value, url, /*pad=*/!url, &forms.s);
    cut();
    // Shifted by 1 and 2 bytes, as inside "user:KEY" (Basic auth): drop the
    // characters that depend on the unknown bytes before and after.
    for (std::size_t shift : {1, 2}) {
      WipedString in, enc;
      in.s.assign(shift, '\0');
      in.s.append(value);
      Base64(in.s, url, false, &enc.s);
      std::size_t drop_front = shift == 1 ? 2 : 3;
      std::size_t drop_back = in.s.size() % 3 ? 1 : 0;
      if (enc.s.size() > drop_front + drop_back) {
        forms.s.append(enc.s, drop_front,
                       enc.s.size() - drop_front - drop_back);
      }
      cut();
    }
  }
  Percent(value, false, &forms.s);
  cut();
  Percent(value, true, &forms.s);
  cut();
  JsonEscape(value, &forms.s);
  cut();

  auto next = std::make_shared<FingerprintSnapshot>(*Snapshot());
  std::size_t from = 0;
  for (std::size_t to : cuts) {
    for (std::size_t i = from; i + 4 <= to; ++i) {
      std::size_t h = Prefilter4(*next, Load4(forms.s.data() + i));
      next->bits4[h >> 6] |= std::uint64_t{1} << (h & 63);
    }
    for (std::size_t i = from; i + kWindow <= to; ++i) {
      std::uint64_t w = Load8(forms.s.data() + i);
      std::size_t h = Prefilter(*next, w);
      next->bits[h >> 6] |= std::uint64_t{1} << (h & 63);
      next->fingerprints.push_back(SipHash8(next->k0, next->k1, w));
    }
    from = to;
  }
  std::sort(next->fingerprints.begin(), next->fingerprints.end());
  next->fingerprints.erase(
      std::unique(next->fingerprints.begin(), next->fingerprints.end()),
      next->fingerprints.end());
  std::size_t size = 16;
  while (size < next->fingerprints.size() * 2) size *= 2;
  next->table.assign(size, 0);
  for (std::uint64_t f : next->fingerprints) {
    if (f == 0) f = 1;
    std::size_t at = f & (size - 1);
    while (next->table[at] != 0) at = (at + 1) & (size - 1);
    next->table[at] = f;
  }
  std::atomic_store(
      &snap_, std::shared_ptr<const FingerprintSnapshot>(std::move(next)));
  // Recorded only once the snapshot holds the windows (if anything above
  // threw, the next Add of this value tries again). Out of memory here only
  // costs a rebuild next time.
  try {
    added_.insert(digest);
  } catch (...) {
  }
}

void FindFingerprintRuns(const FingerprintSnapshot& fp, std::string_view text,
                         std::vector<Redactor::Span>* out) {
  if (fp.empty() || text.size() < kWindow) return;
  const char* p = text.data();
  const std::size_t n = text.size();
  const std::size_t last = n - kWindow;  // last 8-byte window start
  auto maybe = [&](std::size_t i) {
    return TestBit(fp.bits, Prefilter(fp, Load8(p + i)));
  };
  auto confirmed = [&](std::size_t i) {
    std::uint64_t w = Load8(p + i);
    return TestBit(fp.bits, Prefilter(fp, w)) &&
           fp.Has(SipHash8(fp.k0, fp.k1, w));
  };
  std::size_t checked = 0;  // 8-byte windows below this are done
  for (std::size_t q = 0; q + 4 <= n;) {
    // The common case, four probes at a time with one branch.
    while (q + 16 <= n &&
           !(TestBit(fp.bits4, Prefilter4(fp, Load4(p + q))) |
             TestBit(fp.bits4, Prefilter4(fp, Load4(p + q + 4))) |
             TestBit(fp.bits4, Prefilter4(fp, Load4(p + q + 8))) |
             TestBit(fp.bits4, Prefilter4(fp, Load4(p + q + 12))))) {
      q += 16;
    }
    if (q + 4 > n) break;
    std::size_t next_q = q + 4;
    if (TestBit(fp.bits4, Prefilter4(fp, Load4(p + q)))) {
      // The 8-byte windows that contain [q, q + 4).
      std::size_t to = std::min(q, last);
      for (std::size_t i = std::max(checked, q >= 4 ? q - 4 : 0); i <= to;
           ++i) {
        if (!confirmed(i)) continue;
        // A run starts at i. Extend it while the prefilter agrees, then
        // confirm its last window (backing off if needed), so the span ends
        // exactly where the matching ends. A window in the middle that only
        // passed the prefilter (~1% of non-matching windows) can at worst
        // join two runs that are a few bytes apart.
        std::size_t j = i + 1;
        while (j <= last && maybe(j)) ++j;
        while (j - 1 > i && !confirmed(j - 1)) --j;
        out->push_back({i, j - 1 + kWindow, i});
        checked = j;
        next_q = std::max(next_q, (j + 3) / 4 * 4);
        i = j - 1;
      }
      checked = std::max(checked, to + 1);
    }
    q = next_q;
  }
}

}  // namespace keyref::redaction
