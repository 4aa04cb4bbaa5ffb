// Fingerprints of secret values: keyed hashes (SipHash-2-4 under a random
// key) of the windows of a value that may count as "part of the secret"
// (docs/threat-model.md, "No oracle"), the searchable sets built from them,
// and the process-wide store of remembered values. Never the values.
#include <openssl/rand.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <string>

#include "keyref/credential_shape.h"
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
  // Every block, then the tail with the length in its top byte.
  void Absorb(std::string_view in) {
    const std::size_t n = in.size();
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
      std::uint64_t m;
      std::memcpy(&m, in.data() + i, 8);
      Compress(m);
    }
    std::uint64_t b = static_cast<std::uint64_t>(n) << 56;
    for (std::size_t k = 0; i + k < n; ++k) {
      b |= std::uint64_t{static_cast<unsigned char>(in[i + k])} << (8 * k);
    }
    Compress(b);
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

std::uint64_t SipHash64(std::uint64_t k0, std::uint64_t k1,
                        std::string_view in) {
  SipState st(k0, k1, 0);
  st.Absorb(in);
  st.v2 ^= 0xff;
  return st.Finish();
}

void SipHash128(std::uint64_t k0, std::uint64_t k1, std::string_view in,
                std::uint64_t* lo, std::uint64_t* hi) {
  SipState st(k0, k1, 0xee);
  st.Absorb(in);
  st.v2 ^= 0xee;
  *lo = st.Finish();
  st.v1 ^= 0xdd;
  *hi = st.Finish();
}

void RandomWords(std::uint64_t* words, std::size_t n) {
  if (RAND_bytes(reinterpret_cast<unsigned char*>(words),
                 static_cast<int>(n * sizeof *words)) != 1) {
    throw std::runtime_error("keyref: the OS random generator failed");
  }
}

Keys Keys::Random() {
  std::uint64_t key[6];
  RandomWords(key, 6);
  Keys k;
  k.k0 = key[0];
  k.k1 = key[1];
  k.base = key[2] | 1;
  k.mix = key[3] | 1;
  k.seen_seed = key[4];
  k.seen_mul = key[5] | 1;
  SecureZero(key, sizeof key);
  return k;
}

namespace {

// A string that wipes itself: encoded forms of a secret are secrets too.
// The whole capacity: after clear() and a shorter encoding, the bytes past
// size() still hold the tail of the longer one.
struct WipedString {
  std::string s;
  ~WipedString() { SecureZero(s.data(), s.capacity()); }
};

// Appends the base64 (or base64url) of `in` to `out`, a string the caller
// wipes.
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

// Base64 of `value` after `shift` zero bytes (as inside "user:KEY", HTTP
// Basic), unpadded, into *out.
void ShiftedBase64(std::string_view value, std::size_t shift, bool url,
                   std::string* out) {
  WipedString in;
  in.s.assign(shift, '\0');
  in.s.append(value);
  Base64(in.s, url, /*pad=*/false, out);
}

std::uint64_t Roll(const Keys& keys, std::string_view w) {
  std::uint64_t h = 0;
  for (char c : w) h = h * keys.base + static_cast<unsigned char>(c);
  return h;
}

void AddWindow(const Keys& keys, std::string_view w, ValuePrints* out) {
  for (char c : w) {
    if (c == '=') {
      out->pad_in_window = true;
    } else if (!IsKeyByte(c)) {
      out->other_in_window = true;
    }
  }
  out->prints.push_back(SipHash64(keys.k0, keys.k1, w));
  out->rolls.push_back(Roll(keys, w));
  out->lengths.push_back(static_cast<std::uint8_t>(w.size()));
}

}  // namespace

std::size_t RunLengthFor(std::string_view middle) noexcept {
  bool lower_hex = false, lower = false, upper_hex = false, upper = false,
       digit = false;
  bool other[256] = {};
  std::size_t others = 0;
  for (char ch : middle) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c >= 'a' && c <= 'z') {
      (c <= 'f' ? lower_hex : lower) = true;
    } else if (c >= 'A' && c <= 'Z') {
      (c <= 'F' ? upper_hex : upper) = true;
    } else if (c >= '0' && c <= '9') {
      digit = true;
    } else if (!other[c]) {
      other[c] = true;
      ++others;
    }
  }
  // The alphabet a random key of this look is drawn from.
  double symbols = (lower       ? 26
                    : lower_hex ? 6
                                : 0) +
                   (upper       ? 26
                    : upper_hex ? 6
                                : 0) +
                   (digit ? 10 : 0) + static_cast<double>(others);
  if (symbols < 2) symbols = 2;
  double need = std::ceil(64.0 / std::log2(symbols));
  return std::max(kMinRun,
                  std::min<std::size_t>(64, static_cast<std::size_t>(need)));
}

void FingerprintValue(const Keys& keys, std::string_view value,
                      ValuePrints* out) {
  const std::size_t n = value.size();
  if (n < kMinFingerprinted) return;
  for (char c : value) {
    if (c == '"' || c == '\\' || c == '/' ||
        static_cast<unsigned char>(c) < 0x20) {
      out->json_escapable = true;
    }
  }
  std::size_t p = PublicPrefixLength(value);
  if (p + kPublicTail > n) p = 0;
  const std::size_t mid_end = n >= kPublicTail ? n - kPublicTail : 0;
  const std::size_t mid_len = mid_end > p ? mid_end - p : 0;
  const std::size_t run = RunLengthFor(value.substr(p, mid_len));
  WipedString enc;
  enc.s.reserve(n * 2 + 8);

  if (mid_len < run) {
    // No partial run can count: the whole value, in each form, only.
    AddWindow(keys, value, out);
    for (bool url : {false, true}) {
      for (bool pad : {false, true}) {
        enc.s.clear();
        Base64(value, url, pad, &enc.s);
        AddWindow(keys, enc.s, out);
      }
      for (std::size_t shift : {1, 2}) {
        enc.s.clear();
        ShiftedBase64(value, shift, url, &enc.s);
        // Drop the characters that depend on the unknown bytes before and
        // after the value.
        const std::size_t front = shift == 1 ? 2 : 3;
        const std::size_t back = (shift + n) % 3 ? 1 : 0;
        if (enc.s.size() > front + back + kMinFingerprinted) {
          AddWindow(keys,
                    std::string_view(enc.s).substr(front,
                                                   enc.s.size() - front - back),
                    out);
        }
      }
    }
    return;
  }
  // Raw: every run of `run` bytes inside the middle.
  for (std::size_t i = p; i + run <= mid_end; ++i) {
    AddWindow(keys, value.substr(i, run), out);
  }
  // Base64 at each byte alignment: every window of `chars` characters made
  // only of middle bits. `chars` characters carry 6 * chars >= 8 * (run + 1)
  // bits, so wherever they start they cover at least `run` whole bytes.
  const std::size_t chars = ((run + 1) * 4 + 2) / 3;
  for (std::size_t shift : {0, 1, 2}) {
    const std::size_t first = (8 * (shift + p) + 5) / 6;    // ceil
    const std::size_t limit = (8 * (shift + mid_end)) / 6;  // floor
    if (limit < first + chars) continue;
    for (bool url : {false, true}) {
      enc.s.clear();
      ShiftedBase64(value, shift, url, &enc.s);
      for (std::size_t k = first; k + chars <= limit; ++k) {
        AddWindow(keys, std::string_view(enc.s).substr(k, chars), out);
      }
    }
  }
}

bool PrintSet::Has(std::uint64_t print) const noexcept {
  if (print == 0) print = 1;
  const std::size_t mask = table.size() - 1;
  for (std::size_t at = print & mask;; at = (at + 1) & mask) {
    if (table[at] == print) return true;
    if (table[at] == 0) return false;
  }
}

std::shared_ptr<const PrintSet> PrintSet::Build(
    const Keys& keys, const std::vector<const ValuePrints*>& values) {
  auto set = std::make_shared<PrintSet>();
  set->keys = keys;
  std::vector<std::uint64_t> prints;
  bool have_length[kMaxWindow + 1] = {};
  bool pad = false, other = false;
  for (const ValuePrints* v : values) {
    set->json_escapable = set->json_escapable || v->json_escapable;
    pad = pad || v->pad_in_window;
    other = other || v->other_in_window;
    prints.insert(prints.end(), v->prints.begin(), v->prints.end());
    for (std::uint8_t len : v->lengths) have_length[len] = true;
  }
  set->window_bytes = other ? WindowBytes::kAny
                      : pad ? WindowBytes::kKeyOrPad
                            : WindowBytes::kKey;
  std::sort(prints.begin(), prints.end());
  prints.erase(std::unique(prints.begin(), prints.end()), prints.end());
  set->count = prints.size();
  for (std::size_t len = 1; len <= kMaxWindow; ++len) {
    if (!have_length[len]) continue;
    std::uint64_t pw = 1;
    for (std::size_t k = 0; k < len; ++k) pw *= keys.base;
    set->lengths.push_back(static_cast<std::uint8_t>(len));
    set->powers.push_back(pw);
  }
  for (std::size_t c = 0; c < 256; ++c) {
    set->byte_mix[c] = c * keys.mix;
    set->byte_mix_base[c] = set->byte_mix[c] * keys.base;
  }
  // The inverse of the odd base mod 2^64 (Newton's iteration: each step
  // doubles the bits that are right; x = base is right to 3 bits).
  std::uint64_t inv = keys.base;
  for (int k = 0; k < 5; ++k) inv *= 2 - keys.base * inv;
  std::uint64_t mix_inv = keys.mix, pw = 1;
  for (std::size_t k = 0; k < kShortRange; ++k) {
    set->mix_inv_pow[k] = mix_inv;
    set->base_pow[k] = pw;
    mix_inv *= inv;
    pw *= keys.base;
  }
  // About 64 bits per window, two of them set (a false hit of the first
  // probe, which costs a second one, on ~1/32 of the windows of ordinary
  // text per length; of both, which costs a SipHash, on ~1/1000), at least
  // 32 KiB, at most 2 MiB.
  while (set->bits_log2 < 24 &&
         (std::size_t{1} << set->bits_log2) < set->count * 64) {
    ++set->bits_log2;
  }
  set->bits.assign((std::size_t{1} << set->bits_log2) / 64, 0);
  for (const ValuePrints* v : values) {
    for (std::size_t i = 0; i < v->rolls.size(); ++i) {
      std::size_t b = set->BitOf(v->rolls[i], v->lengths[i]);
      set->bits[b >> 6] |= std::uint64_t{1} << (b & 63);
      b = set->SecondBitOf((v->rolls[i] + v->lengths[i]) * keys.mix);
      set->bits[b >> 6] |= std::uint64_t{1} << (b & 63);
    }
  }
  std::size_t size = 16;
  while (size < prints.size() * 2) size *= 2;
  set->table.assign(size, 0);
  for (std::uint64_t f : prints) {
    if (f == 0) f = 1;
    std::size_t at = f & (size - 1);
    while (set->table[at] != 0) at = (at + 1) & (size - 1);
    set->table[at] = f;
  }
  return set;
}

FingerprintStore& FingerprintStore::Get() {
  // Function-local static: created on first use, thread-safe (C++11), and
  // never destroyed before the last Redactor of the process.
  static FingerprintStore* store = new FingerprintStore();
  return *store;
}

FingerprintStore::FingerprintStore() : keys_(Keys::Random()) {
  std::uint64_t key[2];
  RandomWords(key, 2);
  digest_k0_ = key[0];
  digest_k1_ = key[1];
  SecureZero(key, sizeof key);
  snap_ = PrintSet::Build(keys_, {});
}

const PrintSet& FingerprintStore::Current() const {
  thread_local SetCache cache;
  return Current(&cache);
}

void FingerprintStore::Refresh(std::uint64_t generation,
                               SetCache* cache) const {
  // std::atomic_load on a shared_ptr takes a lock from a shared pool and
  // moves the reference count (~40 ns on a short text); Current() makes one
  // acquire load while the set is unchanged. A generation seen there was
  // bumped after its snap_ was stored, so the set loaded here is at least
  // that new: a value registered before the call began is in it.
  cache->set = std::atomic_load(&snap_);
  cache->generation = generation;
}

std::size_t FingerprintStore::WindowCount() const {
  std::lock_guard<std::mutex> lock(mu_);
  return windows_;
}

bool FingerprintStore::Acquire(std::string_view value, Digest* digest) {
  if (value.size() < kMinFingerprinted) return false;
  // A keyed digest, never the value: it says only "this value is held". Two
  // values share one with probability ~2^-128.
  SipHash128(digest_k0_, digest_k1_, value, &digest->lo, &digest->hi);
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(*digest);
  if (it != entries_.end()) {
    // Held already (every cached resolution): one keyed hash, no rebuild.
    ++it->second.live;
    it->second.last_use = ++clock_;
    return true;
  }
  Entry e;
  FingerprintValue(keys_, value, &e.prints);
  e.live = 1;
  e.last_use = ++clock_;
  const std::size_t added = e.prints.prints.size();
  entries_.emplace(*digest, std::move(e));
  windows_ += added;
  try {
    EvictIfOverBound();
    Publish();
  } catch (...) {
    entries_.erase(*digest);  // not matched: refuse the registration
    windows_ -= added;
    throw;
  }
  return true;
}

void FingerprintStore::Release(const Digest& digest) noexcept {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(digest);
  if (it != entries_.end() && it->second.live > 0) --it->second.live;
}

void FingerprintStore::EvictIfOverBound() {
  if (windows_ <= kMaxRememberedWindows) return;
  // Values no longer live, least recently registered first.
  std::vector<std::pair<std::uint64_t, Digest>> idle;
  for (const auto& [d, e] : entries_) {
    if (e.live == 0) idle.emplace_back(e.last_use, d);
  }
  std::sort(idle.begin(), idle.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [use, d] : idle) {
    if (windows_ <= kMaxRememberedWindows) break;
    auto it = entries_.find(d);
    windows_ -= it->second.prints.prints.size();
    entries_.erase(it);
  }
}

void FingerprintStore::Publish() {
  std::vector<const ValuePrints*> values;
  values.reserve(entries_.size());
  for (const auto& [d, e] : entries_) values.push_back(&e.prints);
  std::atomic_store(&snap_, PrintSet::Build(keys_, values));
  generation_.fetch_add(1, std::memory_order_release);
}

}  // namespace keyref::redaction
