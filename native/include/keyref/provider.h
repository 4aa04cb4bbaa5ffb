// The provider table: where each LLM provider wants the API key, what else
// it needs on every request (headers, query parameters), and which caller
// headers are refused because they would carry or replace the key. The
// request builder (http_client.h) asks this file and nothing else about
// providers; adding one is a row in kProviders (docs/architecture.md,
// "Adding a provider").
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "keyref/error.h"
#include "keyref/table.h"

namespace keyref {

// The providers `request` knows. The names (ProviderName) are public API.
// Append only, and add the row to kProviders.
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

// Where a provider wants its key. `header` is empty for providers that take
// no key (ollama). Never a query parameter: keys stay out of URLs (they end
// up in proxy and server access logs).
struct ProviderAuth {
  std::string_view header;  // lower-case header name, e.g. "authorization"
  std::string_view prefix;  // put before the key, e.g. "Bearer "
};

// The request options (RequestOptions in addon/ts/request.ts) that feed a
// provider's extra headers and query parameters.
enum class ProviderOption { kApiVersion = 0, kReferer, kTitle };
inline constexpr int kProviderOptionCount = 3;
// "apiVersion", "referer", "title": the option names seen from JavaScript.
const char* ProviderOptionName(ProviderOption option) noexcept;

// Something a provider adds to every request besides the key.
struct ProviderExtra {
  enum class Kind { kNone = 0, kHeader, kQuery };
  Kind kind = Kind::kNone;
  std::string_view name;  // header or query parameter name
  ProviderOption option = ProviderOption::kApiVersion;  // gives the value
  std::string_view fallback;        // sent when the option is empty ("" = none)
  bool unless_caller_sets = false;  // a caller header of that name wins
};

// One row of the provider table.
struct ProviderInfo {
  Provider provider;
  std::string_view name;  // public API: "openai", "azure-openai", …
  ProviderAuth auth;
  bool key_required;  // false: apiKeyRef is refused (ollama)
  // The provider's usual API origin, "" when it has none (per-resource or
  // self-hosted), and the path its API lives under there: chat() uses them
  // when the caller gives no baseUrl; request() always takes the caller's.
  std::string_view default_origin;
  std::string_view default_path;
  ProviderExtra extras[2];
};

// The anthropic-version sent when the caller gives none.
inline constexpr std::string_view kDefaultAnthropicVersion = "2023-06-01";

// THE provider table, in enum order. ProviderName, AuthFor, the request
// builder, the addon's `catalog.providers`, the TypeScript `Provider` union
// and PROVIDERS, the option checks of request() and the schemas derive from
// it; test/node/catalog_drift.test.js fails when one disagrees.
inline constexpr ProviderInfo kProviders[] = {
    {Provider::kOpenAI,
     "openai",
     {"authorization", "Bearer "},
     true,
     "https://api.openai.com",
     "/v1",
     {}},
    {Provider::kOpenAICompatible,
     "openai-compatible",
     {"authorization", "Bearer "},
     true,
     "",
     "",
     {}},
    {Provider::kLiteLLM,
     "litellm",
     {"authorization", "Bearer "},
     true,
     "",
     "",
     {}},
    {Provider::kOpenRouter,
     "openrouter",
     {"authorization", "Bearer "},
     true,
     "https://openrouter.ai",
     "/api/v1",
     {{ProviderExtra::Kind::kHeader, "HTTP-Referer", ProviderOption::kReferer,
       "", false},
      {ProviderExtra::Kind::kHeader, "X-Title", ProviderOption::kTitle, "",
       false}}},
    {Provider::kAnthropic,
     "anthropic",
     {"x-api-key", ""},
     true,
     "https://api.anthropic.com",
     "",
     {{ProviderExtra::Kind::kHeader, "anthropic-version",
       ProviderOption::kApiVersion, kDefaultAnthropicVersion, true}}},
    {Provider::kAzureOpenAI,
     "azure-openai",
     {"api-key", ""},
     true,
     "",
     "",
     {{ProviderExtra::Kind::kQuery, "api-version", ProviderOption::kApiVersion,
       "", false}}},
    // Google also accepts ?key=…; never use it: URLs are logged.
    {Provider::kGemini,
     "gemini",
     {"x-goog-api-key", ""},
     true,
     "https://generativelanguage.googleapis.com",
     "/v1beta",
     {}},
    {Provider::kOllama,
     "ollama",
     {"", ""},
     false,
     "http://127.0.0.1:11434",
     "/v1",
     {}},
};
static_assert(sizeof(kProviders) / sizeof(kProviders[0]) == kProviderCount,
              "kProviders must have one row per Provider");
static_assert(RowsInEnumOrder(kProviders,
                              [](const ProviderInfo& r) { return r.provider; }),
              "kProviders must be in enum order");

// The row of `provider`.
const ProviderInfo& ProviderInfoOf(Provider provider) noexcept;
// "openai", "openai-compatible", "litellm", "openrouter", "anthropic",
// "azure-openai", "gemini", "ollama".
const char* ProviderName(Provider provider) noexcept;
// Exact, case-sensitive lookup.
bool ProviderFromName(std::string_view name, Provider* out) noexcept;

// The origin a key used with `provider` may be sent to without an explicit
// binding (docs/origins.md): the row's default_origin for providers that
// take a key ("https://api.openai.com"), "" for those with none
// (openai-compatible, litellm, azure-openai) and for ollama (no key).
std::string_view DefaultOrigin(Provider provider) noexcept;

// The auth row of the table.
ProviderAuth AuthFor(Provider provider) noexcept;
// True for every provider except ollama.
bool ProviderNeedsKey(Provider provider) noexcept;
// True when `option` feeds one of the provider's extras (e.g. referer for
// openrouter); the TypeScript layer refuses the option otherwise.
bool ProviderUsesOption(Provider provider, ProviderOption option) noexcept;

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// The values of the provider options of one request.
struct ProviderOptionValues {
  std::string_view values[kProviderOptionCount];
  std::string_view Get(ProviderOption option) const {
    return values[static_cast<int>(option)];
  }
};

// The extra headers `provider` adds to a request whose caller headers are
// `caller` (a caller header wins where the table says so).
HeaderList ProviderHeaders(Provider provider, const ProviderOptionValues& opts,
                           const HeaderList& caller);
// The extra query parameters `provider` adds (azure-openai: api-version).
std::vector<std::pair<std::string, std::string>> ProviderQuery(
    Provider provider, const ProviderOptionValues& opts);

// True for a header name (any case) that would carry or replace a key
// (kCredentialHeaders in credential_names.h).
bool IsCredentialHeader(std::string_view name) noexcept;

// Headers keyref sets itself: host, content-length, transfer-encoding,
// connection.
inline constexpr std::string_view kKeyrefOwnedHeaders[] = {
    "host", "content-length", "transfer-encoding", "connection"};

// Refuses caller headers before anything is resolved: a credential header
// (HEADER_FORBIDDEN), a framing header keyref sets itself (host,
// content-length, transfer-encoding, connection: HEADER_FORBIDDEN), a name
// that is not an HTTP token or a value with CR, LF, NUL or another control
// character (HEADER_FORBIDDEN). Messages name the header, never its value.
Status CheckCallerHeaders(const HeaderList& headers);

}  // namespace keyref
