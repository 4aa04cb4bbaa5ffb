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

}  // namespace keyref::redaction
