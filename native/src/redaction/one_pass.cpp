// The redactor's one pass over a text: each 64-byte block is classified
// once (credential_shape.cpp: SSE2, or AVX2 where the CPU has it) and its
// masks feed all three rules that read the whole text: the credential
// shapes, the runs a fingerprint window can lie in (RunScanner) and the
// separators a credential header's value follows (HeaderScanner). The
// rules and their results are those of FindCredentialShapes, ScanRuns and
// FindHeaderValues run one after the other (test/native/one_pass_test.cpp).
#include "redaction/one_pass.h"

#include <exception>

#include "credential_shape_scan.h"
#include "redaction/scan_worker.h"

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

// The caller's share on two threads: the shapes, the header values and
// whether the text may hold escapes, from the same blocks as Observer.
class HeaderObserver final : public shape_scan::BlockObserver {
 public:
  explicit HeaderObserver(HeaderScanner* headers) : headers_(headers) {}
  void OnBlock(std::size_t block, std::size_t /*len*/,
               const shape_scan::BlockMasks& m) override {
    headers_->Block(block, m.equals | m.colon, m.name_end);
    escapes_ |= m.escape;
  }
  bool escapes() const noexcept { return escapes_ != 0; }

 private:
  HeaderScanner* headers_;
  std::uint64_t escapes_ = 0;
};

// The helper's share: the runs of the text as it is. It reads the caller's
// text in place and writes the caller's out->runs (the caller writes only
// the other members meanwhile). An exception is carried to the caller.
struct RunsJob {
  const PrintSet* set;
  std::string_view text;
  std::vector<Redactor::Span>* runs;
  std::exception_ptr error;
};

void ScanRunsJob(void* arg) noexcept {
  auto* job = static_cast<RunsJob*>(arg);
  try {
    ScanRuns(*job->set, job->text, job->runs);
  } catch (...) {
    job->error = std::current_exception();
  }
}

// Waits for the helper however the caller's share ends.
struct JoinWorker {
  ScanWorker* worker;
  ~JoinWorker() { worker->Join(); }
};

}  // namespace

void ScanOnceOnTwoThreads(const PrintSet& set, std::string_view text,
                          OnePass* out) {
  ScanWorker* worker = ScanWorker::Get();
  if (!worker) return ScanOnce(set, text, out);
  out->runs.clear();
  out->shapes.clear();
  out->headers.clear();
  RunsJob job{&set, text, &out->runs, nullptr};
  if (!worker->Post(&ScanRunsJob, &job)) return ScanOnce(set, text, out);
  bool escapes = false;
  {
    JoinWorker join{worker};
    HeaderScanner headers(text, &out->headers);
    HeaderObserver observer(&headers);
    shape_scan::FindCredentialShapes(text, &out->shapes, &observer);
    escapes = observer.escapes();
  }
  if (job.error) std::rethrow_exception(job.error);
  FinishSecretRuns(set, text, 0, escapes, &out->runs);
}

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
