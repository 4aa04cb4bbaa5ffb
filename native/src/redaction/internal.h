// Internals of the redactor (native/src/redaction/redactor.cpp) and of
// KeyScrubber: the fingerprint sets, the process-wide store and the header
// rule. Not part of the public interface. The rule they implement (which runs
// of a secret count, and why no probe can confirm less than that) is argued in
// docs/threat-model.md, "No oracle".
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "keyref/redactor.h"
#include "keyref/secret_value.h"

namespace keyref::redaction {

// SipHash-2-4 with a 64-bit output (the reference siphash.c with outlen 8):
// the fingerprint of one window, of any length.
std::uint64_t SipHash64(std::uint64_t k0, std::uint64_t k1,
                        std::string_view in);
// SipHash-2-4 with a 128-bit output (the reference siphash.c with outlen 16),
// for the digest of a whole value.
void SipHash128(std::uint64_t k0, std::uint64_t k1, std::string_view in,
                std::uint64_t* lo, std::uint64_t* hi);
// Fills words[0, n) from the OS random generator (OpenSSL's RAND_bytes):
// the hash keys drawn once per process, per cache or per thread. Throws
// std::runtime_error when the generator fails (no key is ever made up).
void RandomWords(std::uint64_t* words, std::size_t n);

// How many pieces of rendered results were written with streaming stores
// since the process started (redactor.cpp, CopyStreaming): texts of 1 MiB
// or more, pieces of 1024 bytes or more, on x86-64. For tests, which check
// that the path they mean to cover is the one taken.
std::uint64_t StreamedPiecesForTesting() noexcept;

// The fewest characters of a secret a partial run must hold, outside its
// family's public prefix and its last kPublicTail characters, to count. More
// for small alphabets (RunLengthFor), so that a run always holds >= 64 bits.
inline constexpr std::size_t kMinRun = 12;
// The last characters of a key, which providers display ("...abcd").
inline constexpr std::size_t kPublicTail = 4;
// Values shorter than this are never fingerprinted (Redactor matches values
// of 4 to 7 bytes exactly while they are live).
inline constexpr std::size_t kMinFingerprinted = 8;
// The longest window a set may hold (whole values with a short middle, in
// base64). Longer windows are never needed: a value whose middle holds a
// full run is matched by its runs.
inline constexpr std::size_t kMaxWindow = 96;

// The per-set keys: SipHash key, the rolling-hash base and the prefilter's
// multiplier. Random (RAND_bytes) for the process-wide store.
struct Keys {
  std::uint64_t k0 = 0;
  std::uint64_t k1 = 0;
  std::uint64_t base = 1;  // odd
  std::uint64_t mix = 1;   // odd
  // The run memo's slot hash (RunScanner::Scan), keys of its own.
  std::uint64_t seen_seed = 0;
  std::uint64_t seen_mul = 1;  // odd
  static Keys Random();
};

// The fingerprints of one value: one per countable window (see
// FingerprintValue), with the prefilter hash of the same window.
struct ValuePrints {
  std::vector<std::uint64_t> prints;  // SipHash64 of the window
  std::vector<std::uint64_t> rolls;   // rolling hash of the window
  std::vector<std::uint8_t> lengths;  // window length, per print
  // The value has a byte JSON writes as a short escape (" \ / or a control
  // character), so \" \\ \n... in a text may hide part of it.
  bool json_escapable = false;
  // Some window holds a base64 padding '=' (a whole value's padded base64),
  // or a byte outside the key bytes and '=' (WindowBytes).
  bool pad_in_window = false;
  bool other_in_window = false;
};

// A-Z a-z 0-9 - _ + /: the bytes of keys, base64 and base64url. A run of a
// secret is widened over them (secret_runs.cpp), and they are the class of
// bytes windows hold (WindowBytes).
inline bool IsKeyByte(char ch) {
  unsigned char c = static_cast<unsigned char>(ch);
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '+' || c == '/';
}

// Which bytes a window of a set may hold, as one of three FIXED classes
// (never the bytes of a particular secret): ScanRuns reads only the runs of
// such bytes that are long enough to hold a window. Key bytes are
// A-Z a-z 0-9 - _ + / (keys, base64, base64url).
enum class WindowBytes : std::uint8_t {
  kKey,       // key bytes only (every set of generated keys)
  kKeyOrPad,  // and '=' (a whole value's padded base64 is in the set)
  kAny,       // some window holds another byte: every position is read
};

// Length of a partial run that counts for a value whose middle (the part
// outside the public prefix and tail) is `middle`: kMinRun, or more when the
// middle's alphabet has fewer than 2^(64/12) symbols (hex, digits, lower
// case), so that a run always carries >= 64 bits of a random key.
std::size_t RunLengthFor(std::string_view middle) noexcept;

// Computes the countable windows of `value` (docs/threat-model.md):
//  - when its middle is at least RunLengthFor long: every window of that
//    many raw bytes inside the middle, and every base64/base64url window
//    (at the three byte alignments) whose characters are made only of
//    middle bits and cover at least that many bytes;
//  - otherwise the whole value only: raw, base64 (padded and not),
//    base64url, and base64 shifted by one and two bytes.
// Percent and JSON \u escapes are not fingerprinted: the text is decoded
// before matching (FindSecretRuns). Temporaries are wiped.
void FingerprintValue(const Keys& keys, std::string_view value,
                      ValuePrints* out);

// An immutable, searchable union of ValuePrints. Read without locks.
struct PrintSet {
  Keys keys;
  // Distinct window lengths, ascending, and B^len for each (rolling hash).
  std::vector<std::uint8_t> lengths;
  std::vector<std::uint64_t> powers;
  // Per byte value c: c * mix and c * mix * base. The scan keeps the prefix
  // hashes multiplied by mix (secret_runs.cpp, ScanRangeFixed) and steps
  // them two bytes at a time with these: the same BitOf, fewer multiplies.
  std::array<std::uint64_t, 256> byte_mix{};
  std::array<std::uint64_t, 256> byte_mix_base{};
  // For a range of at most kShortRange bytes (secret_runs.cpp,
  // ScanRangeShort): mix * B^-k (B is odd, so it has an inverse mod 2^64)
  // and B^k, for k < kShortRange. The same BitOf, without a chain of
  // multiplies from one byte to the next.
  static constexpr std::size_t kShortRange = 64;
  std::array<std::uint64_t, kShortRange> mix_inv_pow{};
  std::array<std::uint64_t, kShortRange> base_pow{};
  // Prefilter: two bits per (rolling hash, length), both taken from the
  // window's mixed hash h = (roll + len) * mix: its top bits_log2 bits
  // (BitOf) and the bits_log2 bits below them (SecondBitOf), as in a Bloom
  // filter with two probes. Only when both bits are set is the window's
  // SipHash computed: a false hit of the first probe alone costs one more
  // probe, not a SipHash (a log line's runs repeat from line to line, so a
  // first-probe false hit on one of them was paid on every line). All of
  // these are hashes of the WHOLE window, so the time a scan takes depends
  // on whole-window matches only, never on a shorter part of a secret
  // (docs/threat-model.md, "Timing").
  int bits_log2 = 18;
  std::vector<std::uint64_t> bits;
  // The fingerprints, open addressing (0 = empty; a print of 0 is stored
  // as 1): one cache miss a lookup.
  std::vector<std::uint64_t> table;
  std::size_t count = 0;
  // Some value has a byte JSON escapes without \u (ValuePrints): only then
  // is a text with no \u escape read with its escapes decoded.
  bool json_escapable = false;
  // The class of bytes the windows hold (see WindowBytes and ScanRuns).
  WindowBytes window_bytes = WindowBytes::kKey;

  bool empty() const noexcept { return count == 0; }
  bool Has(std::uint64_t print) const noexcept;
  std::size_t BitOf(std::uint64_t roll, std::size_t len) const noexcept {
    return static_cast<std::size_t>(((roll + len) * keys.mix) >>
                                    (64 - bits_log2));
  }
  // The second probe's bit for the mixed hash h = (roll + len) * mix.
  std::size_t SecondBitOf(std::uint64_t h) const noexcept {
    return static_cast<std::size_t>((h >> (64 - 2 * bits_log2)) &
                                    ((std::uint64_t{1} << bits_log2) - 1));
  }
  // Whether the second probe's bit is set (the first one's is).
  bool SecondProbe(std::uint64_t h) const noexcept {
    const std::size_t bit = SecondBitOf(h);
    return (bits[bit >> 6] >> (bit & 63)) & 1;
  }
  // Builds the set from `values`.
  static std::shared_ptr<const PrintSet> Build(
      const Keys& keys, const std::vector<const ValuePrints*>& values);
};

// Appends [begin, end) of every window of `text` that is in `set`, merged
// into maximal runs (overlapping or touching windows join), not widened.
// The result is exactly that of hashing every window of every length the
// set holds at every position; only windows that cannot be in the set (they
// hold a byte outside set.window_bytes) are skipped without being hashed.
void ScanRuns(const PrintSet& set, std::string_view text,
              std::vector<Redactor::Span>* runs);

// Windows found so far, merged into maximal runs (a window that overlaps or
// touches the current run joins it).
struct RunMerger {
  std::vector<Redactor::Span>* runs;
  std::size_t begin = 0, end = 0;
  bool open = false;
  std::size_t added = 0;  // windows added so far
  void Add(std::size_t b, std::size_t e) {
    ++added;
    if (open && b <= end) {
      begin = b < begin ? b : begin;
      end = e;
      return;
    }
    if (open) runs->push_back({begin, end, begin});
    begin = b;
    end = e;
    open = true;
  }
  void Finish() {
    if (open) runs->push_back({begin, end, begin});
    open = false;
  }
};

// Bit k of the result: bits k .. k + m - 1 of x are all set (bits past 63
// count as set: a run that reaches the end of the block may go on in the
// next one). 1 <= m <= 64.
inline std::uint64_t AllSetFrom(std::uint64_t x, std::size_t m) {
  static_assert(kMinRun == 12,
                "the fast path below shifts by 1, 2, 4 and 4: exactly 12");
  if (m == kMinRun) {
    // The shortest window of most sets (a generated key's run): the same
    // steps with constant shifts, no loop (1, 2, 4, then 4 more).
    x &= (x >> 1) | ~(~std::uint64_t{0} >> 1);
    x &= (x >> 2) | ~(~std::uint64_t{0} >> 2);
    x &= (x >> 4) | ~(~std::uint64_t{0} >> 4);
    return x & ((x >> 4) | ~(~std::uint64_t{0} >> 4));
  }
  std::size_t have = 1;
  while (have * 2 <= m) {
    x &= (x >> have) | ~(~std::uint64_t{0} >> have);
    have *= 2;
  }
  if (have < m) {
    const std::size_t k = m - have;  // < have: the shift stays below 64
    x &= (x >> k) | ~(~std::uint64_t{0} >> k);
  }
  return x;
}

// ScanRuns fed one 64-byte block at a time by a caller that has classified
// the bytes already (the redactor's one pass, one_pass.cpp): Block(block,
// in) with bit k of `in` set when byte block + k is of the set's class
// (key bytes, and '=' for kKeyOrPad; bits past the text 0), for every block
// in order, then Finish(). The same runs as ScanRuns.
class RunScanner {
 public:
  // Inline: constructed once per text, a call's fixed cost on a short one.
  RunScanner(const PrintSet& set, std::string_view text,
             std::vector<Redactor::Span>* runs)
      : set_(set), text_(text), merger_{runs} {
    if (set.empty() || text.size() < set.lengths.front()) return;
    active_ = true;
    read_all_ = set.window_bytes == WindowBytes::kAny;
    pad_ = set.window_bytes == WindowBytes::kKeyOrPad;
    shortest_ = set.lengths.front();
    need_ = shortest_ < 64 ? shortest_ : 64;
    if (text.size() >= kSeenFromBytes) {
      seen_on_ = true;
      for (Seen& s : seen_) s.len = 0;
      // Three odd multipliers from the key, one per word of a short run.
      seen_mul_[0] = set.keys.seen_mul;
      seen_mul_[1] = seen_mul_[0] * seen_mul_[0];
      seen_mul_[2] = seen_mul_[1] * seen_mul_[0];
    }
  }
  // The memo says where runs of the text are (and, by slot, a few bits of
  // a keyed hash of each): wiped with the scanner, as the text's copies are.
  ~RunScanner() {
    if (seen_on_) {
      SecureZero(seen_, sizeof seen_);
      SecureZero(seen_mul_, sizeof seen_mul_);
    }
  }
  RunScanner(const RunScanner&) = delete;
  RunScanner& operator=(const RunScanner&) = delete;
  // False when the blocks are not needed (an empty set, a text shorter
  // than every window, or a kAny set: Finish reads every position).
  bool reads_blocks() const noexcept { return active_ && !read_all_; }
  // Whether '=' is in the class (WindowBytes::kKeyOrPad).
  bool pad() const noexcept { return pad_; }
  // Inline: the one pass calls it for every block of every text, and most
  // blocks hash nothing (docs/performance.md, "per-call, seventh pass").
  __attribute__((always_inline)) void Block(std::size_t block,
                                            std::uint64_t in) {
    if (!active_ || read_all_) return;
    if (open_) {
      // The run open at the end of the last block ends in this one, or goes
      // on past it: measured on the masks, never byte by byte.
      if (!~in) return;
      const std::size_t to =
          block + static_cast<std::size_t>(__builtin_ctzll(~in));
      if (to - open_from_ >= shortest_) Scan(open_from_, to);
      open_ = false;
    }
    const std::uint64_t starts = in & ~((in << 1) | carry_);
    carry_ = in >> 63;
    // Starts of runs that may hold the shortest window. A run that goes on
    // past this block counts as long here; it is left open.
    std::uint64_t cand = starts & AllSetFrom(in, need_);
    while (cand) {
      const unsigned bit = static_cast<unsigned>(__builtin_ctzll(cand));
      cand &= cand - 1;
      const std::size_t from = block + bit;
      const std::uint64_t rest = ~in >> bit;  // bit 0 is `from`, a class byte
      if (!rest) {
        open_ = true;  // the last run of the block: nothing follows in cand
        open_from_ = from;
        return;
      }
      const std::size_t to =
          from + static_cast<std::size_t>(__builtin_ctzll(rest));
      if (to - from >= shortest_) Scan(from, to);
    }
  }
  void Finish() {
    if (active_ && read_all_) Scan(0, text_.size());
    // A run open at the end of the text (whose length is a multiple of 64).
    if (open_ && text_.size() - open_from_ >= shortest_) {
      Scan(open_from_, text_.size());
    }
    open_ = false;
    merger_.Finish();
  }

 private:
  // Hashes every window of the set inside text_[from, to), unless the same
  // bytes were scanned earlier in this text and held none (Seen). Inline
  // up to the hashing: in a log most runs are seen again, and the call was
  // a sixth of an 8 MB scrub (docs/performance.md, "twelfth pass").
  __attribute__((always_inline)) void Scan(std::size_t from, std::size_t to) {
    const std::size_t len = to - from;
    // Runs of 8 to 255 bytes at offsets below 4 GiB of a text of
    // kSeenFromBytes or more: the rest are hashed every time.
    if (!seen_on_ || len < 8 || len > 255 || to > UINT32_MAX) {
      return Hash(from, to);
    }
    const char* run = text_.data() + from;
    // The slot: a hash of every byte of the run (eight at a time) keyed
    // per process, so that which slot a run takes is no function of a part
    // of it a prober could compute. A run of up to 24 bytes (most in logs)
    // is three words, the middle one overlapping the others as the length
    // wants, each mixed on its own (no loop whose count follows the
    // length: a mispredicted branch per run, and a chain of multiplies).
    const std::uint64_t seed = set_.keys.seen_seed ^ len;
    std::uint64_t h;
    if (len <= 24) {
      const std::size_t mid = len >= 16 ? 8 : len - 8;
      h = ((Word(run) ^ seed) * seen_mul_[0]) +
          ((Word(run + mid) ^ seed) * seen_mul_[1]) +
          ((Word(run + len - 8) ^ seed) * seen_mul_[2]);
    } else {
      h = seed;
      for (std::size_t k = 0; k + 8 < len; k += 8) {
        h = (h ^ Word(run + k)) * seen_mul_[0];
      }
      h = (h ^ Word(run + len - 8)) * seen_mul_[0];
    }
    // Two slots, from the top two nibbles: two runs that share one (in
    // some processes, whose key makes a log's two commonest runs collide)
    // still both stay remembered.
    static_assert(kSeenSlots == 16, "the slots are nibbles of the hash");
    const std::size_t first = static_cast<std::size_t>(h >> 60);
    const std::size_t second = static_cast<std::size_t>(h >> 56) & 15;
    if (Holds(seen_[first], run, len) || Holds(seen_[second], run, len)) {
      return;  // the same bytes held no window of the set
    }
    HashAndRemember(from, to, first, second);
  }
  // Hashes every window of the set inside text_[from, to).
  void Hash(std::size_t from, std::size_t to);
  // The same, and remembers the run when it held no window: in `first`,
  // the run there (if any) moving to `second`.
  void HashAndRemember(std::size_t from, std::size_t to, std::size_t first,
                       std::size_t second);

  struct Seen;
  // Whether `seen` is a run of `len` bytes with the bytes at `run`.
  bool Holds(const Seen& seen, const char* run, std::size_t len) const {
    return seen.len == len && SameRun(text_.data() + seen.from, run, len);
  }
  static std::uint64_t Word(const char* p) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    return w;
  }
  // Whether the `len` bytes (8 or more) at a and b are the same: eight at a
  // time, the last eight overlapping, every byte read whatever the others
  // hold (no early exit: the time never tells how much of a run matched).
  // Inline, where memcmp was a call and a tenth of an 8 MB scrub of log
  // lines, whose runs are 13 to 20 bytes.
  static bool SameRun(const char* a, const char* b, std::size_t len) {
    std::uint64_t diff = 0;
    if (len <= 24) {  // three words, as the slot hash reads them
      const std::size_t mid = len >= 16 ? 8 : len - 8;
      diff = (Word(a) ^ Word(b)) | (Word(a + mid) ^ Word(b + mid));
    } else {
      for (std::size_t k = 0; k + 8 < len; k += 8) {
        diff |= Word(a + k) ^ Word(b + k);
      }
    }
    diff |= Word(a + len - 8) ^ Word(b + len - 8);
    return diff == 0;
  }

  // Short runs of this text that held no window of the set, by a keyed
  // hash of their bytes: a log's lines repeat most of their runs (a
  // timestamp's date and hour, a request path, a model name), and a run
  // that held no window holds none the next time either. Offsets into the
  // text only, never a copy of its bytes; checked with a compare of the
  // two whole runs. Whether a run is skipped depends on the text, on which
  // earlier runs took its slot and whether they held a whole window
  // (docs/threat-model.md, "Timing"); wiped with the scanner. Kept for
  // texts of kSeenFromBytes or more: a single log line repeats few runs,
  // and the check cost more than it saved (docs/performance.md).
  static constexpr std::size_t kSeenSlots = 16;
  static constexpr std::size_t kSeenFromBytes = 512;
  struct Seen {
    std::uint32_t from;
    std::uint8_t len;  // 0: empty
  };
  bool seen_on_ = false;
  Seen seen_[kSeenSlots];      // set up when seen_on_
  std::uint64_t seen_mul_[3];  // set up when seen_on_

  const PrintSet& set_;
  std::string_view text_;
  RunMerger merger_;
  bool active_ = false;
  bool read_all_ = false;
  bool pad_ = false;
  std::size_t shortest_ = 0;
  std::size_t need_ = 0;       // min(shortest_, 64)
  bool open_ = false;          // a run reaches the end of the last block
  std::size_t open_from_ = 0;  // where it starts
  std::uint64_t carry_ = 0;    // bit 0: the byte before the block is in class
};

// Appends the spans of `text` that hold a countable window of a value in
// `set`: in the text as it is, and in the text with JSON escapes and then
// percent escapes decoded (each span mapped back to the escapes it came
// from). Each span is widened to the whole token around it (the public
// prefix and tail, the rest of an encoding), never by more than a few
// bytes and never by looking at a secret.
void FindSecretRuns(const PrintSet& set, std::string_view text,
                    std::vector<Redactor::Span>* out);
// The rest of FindSecretRuns once ScanRuns (or a RunScanner) appended the
// runs of the text as it is to out[first, end): widens them, then scans the
// decoded readings. `may_have_escapes`: false only when the text holds no
// backslash and no '%' (then there is nothing to decode).
void FinishSecretRuns(const PrintSet& set, std::string_view text,
                      std::size_t first, bool may_have_escapes,
                      std::vector<Redactor::Span>* out);

// The process-wide store of remembered values. The one deliberate global of
// keyref: values resolved by any instance, at any time in the process's
// life, keep being caught after they are wiped. It holds keyed hashes only,
// never a value; its keys come from the OS RNG at first use.
//
// Memory bound (docs/redaction.md): values that are no longer live are
// evicted, least recently registered first, once the store holds more than
// kMaxRememberedWindows windows. Live values are never evicted.
class FingerprintStore {
 public:
  static constexpr std::size_t kMaxRememberedWindows = std::size_t{1} << 18;

  static FingerprintStore& Get();

  // A handle on a value's entry (a keyed digest of the value).
  struct Digest {
    std::uint64_t lo = 0;
    std::uint64_t hi = 0;
    bool operator==(const Digest& o) const noexcept {
      return lo == o.lo && hi == o.hi;
    }
  };
  // Records `value` (if new) and marks it live once more. Values shorter
  // than kMinFingerprinted are ignored (returns false).
  bool Acquire(std::string_view value, Digest* digest);
  // Marks one holder of the value gone. The value stays remembered until
  // evicted.
  void Release(const Digest& digest) noexcept;
  // The newest set, without touching a shared reference count: the calling
  // thread keeps its own reference to the set it last saw and replaces it
  // only when the store's generation moved (one atomic load per call, the
  // redactor's fixed cost). The reference stays valid until this thread
  // calls Current() again; a set replaced since is freed then (or at thread
  // exit), so each thread that scrubbed may keep one stale set alive.
  const PrintSet& Current() const;
  // What Current() keeps per thread: the set last read and its generation.
  struct SetCache {
    std::uint64_t generation = 0;
    std::shared_ptr<const PrintSet> set;
  };
  // Current(), with the caller's cache instead of a thread-local one (a
  // caller that keeps its own per-thread state saves a thread-local lookup;
  // Redactor::Workspace). The set stays valid until `cache` is used again or
  // destroyed.
  const PrintSet& Current(SetCache* cache) const {
    // Inline: one acquire load per call while the set is unchanged.
    const std::uint64_t now = generation_.load(std::memory_order_acquire);
    if (cache->generation != now) Refresh(now, cache);
    return *cache->set;
  }
  const Keys& keys() const noexcept { return keys_; }
  // For tests: the number of windows held, and whether a value is held.
  std::size_t WindowCount() const;

 private:
  struct DigestHash {
    std::size_t operator()(const Digest& d) const noexcept {
      return static_cast<std::size_t>(d.lo);  // already uniformly keyed
    }
  };
  struct Entry {
    ValuePrints prints;
    std::uint64_t last_use = 0;  // registration order, for eviction
    std::size_t live = 0;
  };

  FingerprintStore();
  // Current()'s slow path: loads the newest set into `cache`.
  void Refresh(std::uint64_t generation, SetCache* cache) const;
  void Publish();           // mu_ held
  void EvictIfOverBound();  // mu_ held

  mutable std::mutex mu_;
  std::shared_ptr<const PrintSet> snap_;
  // Bumped after each new snap_ is stored (release); Current() reloads
  // snap_ when it sees a generation it has not seen.
  std::atomic<std::uint64_t> generation_{1};
  Keys keys_;                    // set once in the constructor
  std::uint64_t digest_k0_ = 0;  // likewise
  std::uint64_t digest_k1_ = 0;
  std::uint64_t clock_ = 0;                                // guarded by mu_
  std::size_t windows_ = 0;                                // guarded by mu_
  std::unordered_map<Digest, Entry, DigestHash> entries_;  // guarded by mu_
};

// Appends the value spans of credential headers and credential fields
// (`Authorization: …`, `"x-api-key": "…"`, `api_key=…`), case-insensitive.
// This form looks at every ':' and '=' of the text: the rule's plain
// definition, which HeaderScanner must match.
// Every occurrence of `value` (a live value of 4 to 7 bytes) in `text`, as
// spans, in time that depends on the text's length only, plus a constant
// per whole match: never on how much of the value a position matches
// (redaction/short_values.cpp). Other lengths find nothing.
void FindShortValue(std::string_view text, std::string_view value,
                    std::vector<Redactor::Span>* out);
// Wipes the stack below its caller as deep as FindShortValue's frame
// reaches: call it after FindShortValue, from the same function.
void WipeShortValueFrame() noexcept;

void FindHeaderValues(std::string_view text, std::vector<Redactor::Span>* out);

// The last letters of every credential name and suffix (header_rule.cpp
// checks that each ends so), either case.
constexpr std::array<bool, 256> MakeHeaderNameEnds() {
  std::array<bool, 256> t{};
  for (char c : std::string_view("nyetdNYETD")) {
    t[static_cast<unsigned char>(c)] = true;
  }
  return t;
}
inline constexpr std::array<bool, 256> kHeaderNameEnd = MakeHeaderNameEnds();

// Three bytes with bit 5 set in each (0x20, the ASCII case bit), packed.
// Only ever compared with Pack3 of lowercase letters (and of 0, on both
// sides): a byte with the case bit set equals a lowercase letter exactly when
// the byte is that letter in either case, so this reads as a case-insensitive
// compare without a branch per byte.
constexpr std::uint32_t Pack3(char a, char b, char c) {
  return (static_cast<std::uint32_t>(static_cast<unsigned char>(a)) |
          static_cast<std::uint32_t>(static_cast<unsigned char>(b)) << 8 |
          static_cast<std::uint32_t>(static_cast<unsigned char>(c)) << 16) |
         0x202020u;
}

// The last two letters of every credential name and suffix, either case (a
// cheaper first look than the last three; header_rule.cpp checks it).
constexpr bool EndsLikeCredentialName2(char b, char c) {
  std::uint32_t v = Pack3(b, c, 0);
  return (v == Pack3('o', 'n', 0)) | (v == Pack3('e', 'y', 0)) |
         (v == Pack3('i', 'e', 0)) | (v == Pack3('e', 'n', 0)) |
         (v == Pack3('e', 't', 0)) | (v == Pack3('r', 'd', 0)) |
         (v == Pack3('w', 'd', 0));
}

// Looks at the separator at `sep` (':' or '=') of `text`; appends a span
// when a credential name precedes it (FindHeaderValues at one separator).
void TryHeaderSeparator(std::string_view text, std::size_t sep,
                        std::vector<Redactor::Span>* out);

// FindHeaderValues fed one 64-byte block at a time (the redactor's one
// pass): Block(block, seps, name_ends) with bit k of `seps` set when byte
// block + k is ':' or '=', and of `name_ends` at least when it is a quote
// or a blank or ends a name as EndsLikeCredentialName2 wants (BlockMasks::
// name_end; SSE2 sets it at every n y e t d), for every block in order.
// Visits only the separators right after such a byte (every credential
// name ends so, maybe followed by a closing quote and blanks) and checks
// the name again; the others can start no span. The same spans as
// FindHeaderValues.
class HeaderScanner {
 public:
  HeaderScanner(std::string_view text, std::vector<Redactor::Span>* out)
      : text_(text), out_(out) {}
  // Inline, as RunScanner::Block: called for every block.
  __attribute__((always_inline)) void Block(std::size_t block,
                                            std::uint64_t seps,
                                            std::uint64_t name_ends) {
    // Bit k: the byte before byte k ends a name, or is a quote or a blank.
    // TryHeaderSeparator finds nothing at a separator without one before
    // it, nor at the first five bytes (no name fits before them), so the
    // separator at 0, whose bit is clear here, is no loss.
    const std::uint64_t after_end = (name_ends << 1) | carry_;
    carry_ = name_ends >> 63;
    const char* base = text_.data();
    for (std::uint64_t m = seps & after_end; m; m &= m - 1) {
      const std::size_t at =
          block + static_cast<std::size_t>(__builtin_ctzll(m));
      // The same look, a byte further back past a closing quote: most
      // separators (JSON keys, times, URLs) stop here.
      if (at >= 3) {
        std::size_t e = at;  // one past the last byte of the name, if any
        if (base[e - 1] == '"' || base[e - 1] == '\'') --e;
        const char c = base[e - 1];
        if (c != ' ' && c != '\t') {
          if (!kHeaderNameEnd[static_cast<unsigned char>(c)]) continue;
          if (e >= 2 && !EndsLikeCredentialName2(base[e - 2], c)) continue;
        }
      }
      TryHeaderSeparator(text_, at, out_);
    }
  }

 private:
  std::string_view text_;
  std::vector<Redactor::Span>* out_;
  std::uint64_t carry_ = 0;  // bit 0: the byte before the block ends a name
};

}  // namespace keyref::redaction
