// What the redactor's one pass (one_pass.cpp) does with the masks of each
// 64-byte block the credential-shape scan classifies: the runs a
// fingerprint window can lie in (RunScanner) and the separators a
// credential header's value follows (HeaderScanner). Internal.
//
// The scan (credential_shape.cpp) is instantiated for these observers, so
// that their work on a block is a direct call the compiler may inline: no
// virtual call, which on a short text (a log line of two blocks) was a
// measurable part of a call (docs/performance.md, "per-call, seventh
// pass"). Since the run memo's check is inline in RunScanner::Block, GCC
// keeps OnePassObserver::OnBlock out of line; forcing it inline measured
// 4 % (per 8 MB) and 7 % (per line) slower (docs/performance.md, "twelfth
// pass").
#pragma once

#include <cstddef>
#include <cstdint>

#include "credential_shape_scan.h"
#include "redaction/internal.h"

namespace keyref::redaction {

// The one pass on one thread: runs, header values and whether the text may
// hold escapes.
class OnePassObserver {
 public:
  OnePassObserver(RunScanner* runs, HeaderScanner* headers)
      : runs_(runs), headers_(headers), runs_read_(runs->reads_blocks()) {
    // The set's window class (docs/threat-model.md, "Timing"): key bytes,
    // and '=' when a short value's padded base64 is held.
    if (runs->pad()) keep_equals_ = ~std::uint64_t{0};
  }
  void OnBlock(std::size_t block, std::size_t /*len*/,
               const shape_scan::BlockMasks& m) {
    // m.run is the key bytes and '='.
    if (runs_read_) runs_->Block(block, m.run & (~m.equals | keep_equals_));
    headers_->Block(block, m.equals | m.colon, m.name_end);
    escapes_ |= m.escape;
  }
  bool escapes() const noexcept { return escapes_ != 0; }

 private:
  RunScanner* runs_;
  HeaderScanner* headers_;
  bool runs_read_;
  std::uint64_t keep_equals_ = 0;
  std::uint64_t escapes_ = 0;
};

// The caller's share on two threads: the header values and whether the
// text may hold escapes, from the same blocks as OnePassObserver.
class HeaderObserver {
 public:
  explicit HeaderObserver(HeaderScanner* headers) : headers_(headers) {}
  void OnBlock(std::size_t block, std::size_t /*len*/,
               const shape_scan::BlockMasks& m) {
    headers_->Block(block, m.equals | m.colon, m.name_end);
    escapes_ |= m.escape;
  }
  bool escapes() const noexcept { return escapes_ != 0; }

 private:
  HeaderScanner* headers_;
  std::uint64_t escapes_ = 0;
};

}  // namespace keyref::redaction
