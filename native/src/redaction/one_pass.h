// The redactor's one pass over a text (one_pass.cpp). Internal.
#pragma once

#include <string_view>
#include <vector>

#include "keyref/credential_shape.h"
#include "keyref/redactor.h"
#include "redaction/internal.h"

namespace keyref::redaction {

// What the rules that read the whole text found, unmerged. Positions only,
// never text.
struct OnePass {
  std::vector<Redactor::Span> runs;     // FindSecretRuns
  std::vector<CredentialMatch> shapes;  // FindCredentialShapes
  std::vector<Redactor::Span> headers;  // FindHeaderValues
};

// Fills `out` (emptied first) with what FindSecretRuns(set, text),
// FindCredentialShapes(text) and FindHeaderValues(text) find, reading each
// byte of the text once for all three.
void ScanOnce(const PrintSet& set, std::string_view text, OnePass* out);

// ScanOnce with its rules shared between the calling thread and the
// redactor's helper thread (scan_worker.h): the helper finds the secret
// runs of the text as it is (ScanRuns), the caller the credential shapes
// and header values meanwhile, then the rest of FindSecretRuns. Each rule
// reads the whole text on one thread, exactly as ScanOnce's one pass does,
// so the result is ScanOnce's (test/fuzz/split_scan_fuzz.cpp). Scans alone,
// as ScanOnce, when the helper is busy or cannot run. Waits for the helper
// before it returns or throws: the text must stay as it is until then.
void ScanOnceOnTwoThreads(const PrintSet& set, std::string_view text,
                          OnePass* out);

}  // namespace keyref::redaction
