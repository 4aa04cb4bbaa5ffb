// The redactor's one pass over a text: each 64-byte block is classified
// once (credential_shape.cpp: SSE2, or AVX2 where the CPU has it) and its
// masks feed all three rules that read the whole text: the credential
// shapes, the runs a fingerprint window can lie in (RunScanner) and the
// separators a credential header's value follows (HeaderScanner). The
// rules and their results are those of FindCredentialShapes, ScanRuns and
// FindHeaderValues run one after the other (test/native/one_pass_test.cpp).
#include "redaction/one_pass.h"

#include "credential_shape_scan.h"

namespace keyref::redaction {
namespace {

class Observer final : public shape_scan::BlockObserver {
 public:
  Observer(RunScanner* runs, HeaderScanner* headers)
      : runs_(runs), headers_(headers), runs_read_(runs->reads_blocks()) {
    // The set's window class (docs/threat-model.md, "Timing"): key bytes,
    // and '=' when a short value's padded base64 is held.
    if (runs->pad()) keep_equals_ = ~std::uint64_t{0};
  }
  void OnBlock(std::size_t block, std::size_t /*len*/,
               const shape_scan::BlockMasks& m) override {
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

}  // namespace

void ScanOnce(const PrintSet& set, std::string_view text, OnePass* out) {
  out->runs.clear();
  out->shapes.clear();
  out->headers.clear();
  RunScanner runs(set, text, &out->runs);
  HeaderScanner headers(text, &out->headers);
  Observer observer(&runs, &headers);
  shape_scan::FindCredentialShapes(text, &out->shapes, &observer);
  runs.Finish();
  FinishSecretRuns(set, text, 0, observer.escapes(), &out->runs);
}

}  // namespace keyref::redaction
