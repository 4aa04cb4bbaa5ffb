// Recognises strings shaped like credentials (API keys, tokens, JWTs, PEM
// private keys). Used by the ref parser (REF_LITERAL_SECRET), the redactor
// and the profile store, so that all three agree on what a key looks like.
// The exact rules and thresholds are documented in docs/apikeyref.md.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

namespace keyref {

// The family a credential-shaped span belongs to. Its name may be shown to
// people ("looks like an OpenAI key"); the span itself never is.
enum class CredentialFamily {
  kNone = 0,
  kSkKey,   // sk-… (OpenAI incl. proj/svcacct/admin, Anthropic, OpenRouter)
  kGoogle,  // AIza…
  kAws,     // AKIA…, ASIA…
  kGitHub,  // ghp_ gho_ ghu_ ghs_ ghr_ github_pat_
  kGroq,    // gsk_
  kHuggingFace,  // hf_
  kXai,          // xai-
  kPerplexity,   // pplx-
  kReplicate,    // r8_
  kSlack,        // xoxa- xoxb- xoxp- xoxo- xoxs- xoxr-
  kJwt,          // eyJ….….…
  kBearer,       // the token after "Bearer "
  kPrivateKey,   // -----BEGIN … PRIVATE KEY----- blocks
  kHighEntropy,  // a long random-looking token
};

// A human-readable name for a family, e.g. "OpenAI/Anthropic-style sk- key".
const char* CredentialFamilyName(CredentialFamily family) noexcept;

// One credential-shaped span of a text: [begin, end) in bytes.
struct CredentialMatch {
  std::size_t begin = 0;
  std::size_t end = 0;
  CredentialFamily family = CredentialFamily::kNone;
};

// Appends every credential-shaped span of `text` to `out`, left to right,
// without overlaps. Runs in time linear in the text.
void FindCredentialShapes(std::string_view text,
                          std::vector<CredentialMatch>* out);

// The family of the first credential-shaped span in `text`, or kNone.
CredentialFamily FirstCredentialShape(std::string_view text) noexcept;

// Length of the public prefix of a credential `value`: the part its family
// shows everyone ("sk-proj-", "sk-ant-api03-", "AIza", "ghp_", a JWT's
// header up to its first '.'), 0 when it has none. The redactor's no-oracle
// rule does not count these characters (docs/threat-model.md).
std::size_t PublicPrefixLength(std::string_view value) noexcept;

// True when a token of random-looking characters passes the high-entropy
// rule (documented in docs/apikeyref.md). Exposed for tests.
bool IsHighEntropyToken(std::string_view token) noexcept;

// For tests: makes the scanner use its baseline (SSE2) path even where the
// CPU has AVX2 or AVX-512BW, so every path is checked on one machine. Same
// results on each.
void UseBaselineShapeScanForTesting(bool on) noexcept;
// For tests: makes the scanner use its AVX2 path even where the CPU has
// AVX-512BW (UseBaselineShapeScanForTesting wins over it), so all three
// paths are checked on such a machine.
void UseAvx2ShapeScanForTesting(bool on) noexcept;
// The block classifier the scanner uses now, for benchmarks and tests:
// "avx512bw", "avx2", "sse2" or "scalar" (the CPU's best unless a test
// asked for another).
const char* ShapeScanPathName() noexcept;

}  // namespace keyref
