// Internals of the redactor (native/src/redaction/redactor.cpp): the
// process-wide fingerprint store and the header rule. Not part of the public
// interface.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "keyref/redactor.h"

namespace keyref::redaction {

// SipHash-2-4 of one 8-byte word (the fingerprint of a window).
std::uint64_t SipHash8(std::uint64_t k0, std::uint64_t k1, std::uint64_t m);
// SipHash-2-4 with a 128-bit output (the reference siphash.c with outlen 16),
// for the digest of a whole value.
void SipHash128(std::uint64_t k0, std::uint64_t k1, std::string_view in,
                std::uint64_t* lo, std::uint64_t* hi);

// Length of the windows fingerprinted and matched: the "run of 8 or more of
// a secret's characters" rule.
inline constexpr std::size_t kWindow = 8;

// An immutable view of every fingerprint recorded in this process. Built on
// registration, swapped in atomically, read without locks by Scrub.
struct FingerprintSnapshot {
  // Prefilter: one bit per multiply-shift hash of an 8-byte window (under a
  // random odd multiplier). Only on a set bit is the keyed hash computed.
  static constexpr int kBitsLog2 = 20;
  std::vector<std::uint64_t> bits =
      std::vector<std::uint64_t>((std::size_t{1} << kBitsLog2) / 64);
  std::uint64_t mul = 1;
  // Second prefilter: one bit per hash of every 4-byte window. Any 8-byte
  // run of text contains a 4-byte window starting at a multiple of 4, so the
  // text is probed every 4 bytes, and only around a hit are the 8-byte
  // windows checked.
  // Smaller, so it stays in L1 while the text streams past.
  static constexpr int kBits4Log2 = 18;
  std::vector<std::uint64_t> bits4 =
      std::vector<std::uint64_t>((std::size_t{1} << kBits4Log2) / 64);
  std::uint64_t mul4 = 1;
  // SipHash-2-4 of the 8-byte window under the per-process key: the
  // fingerprints themselves, sorted for binary search.
  std::uint64_t k0 = 0;
  std::uint64_t k1 = 0;
  std::vector<std::uint64_t> fingerprints;
  // The same fingerprints in an open-addressing table (linear probing,
  // 0 = empty, a fingerprint of 0 is stored as 1): one cache miss a lookup.
  std::vector<std::uint64_t> table;
  bool empty() const noexcept { return fingerprints.empty(); }
  bool Has(std::uint64_t fingerprint) const noexcept {
    if (fingerprint == 0) fingerprint = 1;
    const std::size_t mask = table.size() - 1;
    for (std::size_t at = fingerprint & mask;; at = (at + 1) & mask) {
      if (table[at] == fingerprint) return true;
      if (table[at] == 0) return false;
    }
  }
};

// The process-wide store. The one deliberate global of keyref: the issue asks
// that values resolved by any instance, at any time in the process's life,
// keep being caught after they are wiped. It holds keyed hashes only, never a
// value; its key comes from the OS RNG (RAND_bytes) at first use.
class FingerprintStore {
 public:
  static FingerprintStore& Get();

  // Records the windows of every encoded form of `value` (raw, base64 at
  // three alignments, base64url, percent-encoding, JSON escaping). Every
  // temporary holding an encoded form is wiped before return. A value added
  // before (same keyed digest) costs one keyed hash and a set lookup: its
  // windows are in the snapshot already, and fingerprints are never removed.
  void Add(std::string_view value);
  std::shared_ptr<const FingerprintSnapshot> Snapshot() const;

 private:
  // SipHash-2-4 with 128-bit output of a whole value, under its own
  // per-process key (not the window key). A keyed digest, never the value:
  // it says only "this value was fingerprinted already". Two values share a
  // digest with probability ~2^-128, which would leave the second value's
  // windows unrecorded.
  struct Digest {
    std::uint64_t lo = 0;
    std::uint64_t hi = 0;
    bool operator==(const Digest& o) const noexcept {
      return lo == o.lo && hi == o.hi;
    }
  };
  struct DigestHash {
    std::size_t operator()(const Digest& d) const noexcept {
      return static_cast<std::size_t>(d.lo);  // already uniformly keyed
    }
  };

  FingerprintStore();
  Digest DigestOf(std::string_view value) const noexcept;

  std::mutex mu_;  // serialises Add; readers use the atomic snapshot
  std::shared_ptr<const FingerprintSnapshot> snap_;
  std::uint64_t digest_k0_ = 0;  // set once in the constructor
  std::uint64_t digest_k1_ = 0;
  std::unordered_set<Digest, DigestHash> added_;  // guarded by mu_
};

// Appends [begin, end) spans of `text` whose 8-byte windows are fingerprints,
// each extended to the maximal run of consecutive matching windows.
void FindFingerprintRuns(const FingerprintSnapshot& fp, std::string_view text,
                         std::vector<Redactor::Span>* out);

// Appends the value spans of credential headers and credential fields
// (`Authorization: …`, `"x-api-key": "…"`, `api_key=…`), case-insensitive.
void FindHeaderValues(std::string_view text, std::vector<Redactor::Span>* out);

}  // namespace keyref::redaction
