// The provider table: where each LLM provider wants the API key, the origin
// its key may go to without an explicit binding (docs/origins.md), and which
// caller headers are refused because they would carry or replace it. The
// request builder (http_client.h) owns the key header; callers never set it.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "keyref/error.h"

namespace keyref {

// The providers `request` knows. The names (ProviderName) are public API.
enum class Provider {
  kOpenAI = 0,
  kOpenAICompatible,
  kLiteLLM,
  kOpenRouter,
  kAnthropic,
  kAzureOpenAI,
  kGemini,
  kOllama,
};
inline constexpr int kProviderCount = 8;

// "openai", "openai-compatible", "litellm", "openrouter", "anthropic",
// "azure-openai", "gemini", "ollama".
const char* ProviderName(Provider provider) noexcept;
// Exact, case-sensitive lookup.
bool ProviderFromName(std::string_view name, Provider* out) noexcept;

// Where a provider wants its key. `header` is empty for providers that take
// no key (ollama).
struct ProviderAuth {
  std::string_view header;  // lower-case header name, e.g. "authorization"
  std::string_view prefix;  // put before the key, e.g. "Bearer "
};

// One row of the provider table. Every per-provider rule lives here, so that
// the TypeScript layer and the docs can derive theirs from it.
struct ProviderSpec {
  Provider id;
  std::string_view name;  // ProviderName
  ProviderAuth auth;
  // The public origin a key used with this provider may always be sent to
  // ("https://api.openai.com"); empty for providers with no fixed origin
  // (openai-compatible, litellm, azure-openai, ollama), whose keys need a
  // binding (stored or policy.origins) before they are sent anywhere.
  std::string_view default_origin;
};

// The table, in Provider order.
const std::array<ProviderSpec, kProviderCount>& ProviderTable() noexcept;

// The default_origin row of the table ("" when none).
std::string_view DefaultOrigin(Provider provider) noexcept;

// The auth row of the table. Never a query parameter: keys stay out of URLs
// (they end up in proxy and server access logs).
ProviderAuth AuthFor(Provider provider) noexcept;
// True for every provider except ollama.
bool ProviderNeedsKey(Provider provider) noexcept;

// The anthropic-version sent when the caller gives none.
inline constexpr std::string_view kDefaultAnthropicVersion = "2023-06-01";

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// True for a header name (any case) that would carry or replace a key:
// authorization, x-api-key, api-key, x-goog-api-key, proxy-authorization.
bool IsCredentialHeader(std::string_view name) noexcept;

// Refuses caller headers before anything is resolved: a credential header
// (HEADER_FORBIDDEN), a framing header keyref sets itself (host,
// content-length, transfer-encoding, connection: HEADER_FORBIDDEN), a name
// that is not an HTTP token or a value with CR, LF, NUL or another control
// character (HEADER_FORBIDDEN). Messages name the header, never its value.
Status CheckCallerHeaders(const HeaderList& headers);

}  // namespace keyref
