// The redactor's one pass over a text: each 64-byte block is classified
// once (credential_shape.cpp: SSE2, or AVX2 or AVX-512BW where the CPU has
// it) and its masks feed all three rules that read the whole text: the
// credential shapes, the runs a fingerprint window can lie in (RunScanner) and
// the separators a credential header's value follows (HeaderScanner). The rules
// and their results are those of FindCredentialShapes, ScanRuns and
// FindHeaderValues run one after the other (test/native/one_pass_test.cpp).
#include "redaction/one_pass.h"

#include <exception>

#include "credential_shape_scan.h"
#include "redaction/one_pass_observers.h"
#include "redaction/scan_worker.h"

namespace keyref::redaction {
namespace {

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
  OnePassObserver observer(&runs, &headers);
  shape_scan::FindCredentialShapes(text, &out->shapes, &observer);
  runs.Finish();
  // With no run and nothing to decode, FinishSecretRuns has nothing to do
  // (most log lines): no call.
  if (!out->runs.empty() || observer.escapes()) {
    FinishSecretRuns(set, text, 0, observer.escapes(), &out->runs);
  }
}

}  // namespace keyref::redaction
