#include "keyref/provider.h"

#include <array>
#include <cctype>

namespace keyref {
namespace {

// The table. Keys never travel in a query parameter: URLs end up in proxy
// and server access logs (gemini also accepts ?key=…; it is never used).
// Default origins are https only, and only for providers with one public
// endpoint (docs/origins.md).
constexpr std::array<ProviderSpec, kProviderCount> kTable = {{
    {Provider::kOpenAI,
     "openai",
     {"authorization", "Bearer "},
     "https://api.openai.com"},
    {Provider::kOpenAICompatible,
     "openai-compatible",
     {"authorization", "Bearer "},
     ""},
    {Provider::kLiteLLM, "litellm", {"authorization", "Bearer "}, ""},
    {Provider::kOpenRouter,
     "openrouter",
     {"authorization", "Bearer "},
     "https://openrouter.ai"},
    {Provider::kAnthropic,
     "anthropic",
     {"x-api-key", ""},
     "https://api.anthropic.com"},
    {Provider::kAzureOpenAI, "azure-openai", {"api-key", ""}, ""},
    {Provider::kGemini,
     "gemini",
     {"x-goog-api-key", ""},
     "https://generativelanguage.googleapis.com"},
    {Provider::kOllama, "ollama", {"", ""}, ""},
}};

constexpr bool TableInOrder() {
  for (int i = 0; i < kProviderCount; ++i) {
    if (static_cast<int>(kTable[i].id) != i) return false;
  }
  return true;
}
static_assert(TableInOrder(), "kTable rows must follow the Provider order");

bool EqualsIgnoreCase(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// RFC 9110 token characters.
bool IsTokenChar(unsigned char c) noexcept {
  if (std::isalnum(c)) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

}  // namespace

const std::array<ProviderSpec, kProviderCount>& ProviderTable() noexcept {
  return kTable;
}

const char* ProviderName(Provider provider) noexcept {
  int i = static_cast<int>(provider);
  return i >= 0 && i < kProviderCount ? kTable[i].name.data() : "unknown";
}

bool ProviderFromName(std::string_view name, Provider* out) noexcept {
  for (const ProviderSpec& row : kTable) {
    if (name == row.name) {
      *out = row.id;
      return true;
    }
  }
  return false;
}

ProviderAuth AuthFor(Provider provider) noexcept {
  int i = static_cast<int>(provider);
  return i >= 0 && i < kProviderCount ? kTable[i].auth : ProviderAuth{};
}

std::string_view DefaultOrigin(Provider provider) noexcept {
  int i = static_cast<int>(provider);
  return i >= 0 && i < kProviderCount ? kTable[i].default_origin
                                      : std::string_view();
}

bool ProviderNeedsKey(Provider provider) noexcept {
  return !AuthFor(provider).header.empty();
}

bool IsCredentialHeader(std::string_view name) noexcept {
  for (std::string_view h : {"authorization", "x-api-key", "api-key",
                             "x-goog-api-key", "proxy-authorization"}) {
    if (EqualsIgnoreCase(name, h)) return true;
  }
  return false;
}

Status CheckCallerHeaders(const HeaderList& headers) {
  for (const auto& [name, value] : headers) {
    if (name.empty()) {
      return Error(ErrorCode::kHeaderForbidden, "A header has an empty name.");
    }
    for (char ch : name) {
      if (!IsTokenChar(static_cast<unsigned char>(ch))) {
        return Error(ErrorCode::kHeaderForbidden,
                     "A header name contains a character that is not "
                     "allowed in HTTP header names.");
      }
    }
    if (IsCredentialHeader(name)) {
      return Error(ErrorCode::kHeaderForbidden,
                   "The header " + name +
                       " would carry or replace the API key, which keyref "
                       "sets itself.",
                   "Remove it; give the key by reference in apiKeyRef.");
    }
    for (std::string_view h :
         {"host", "content-length", "transfer-encoding", "connection"}) {
      if (EqualsIgnoreCase(name, h)) {
        return Error(ErrorCode::kHeaderForbidden,
                     "The header " + name + " is set by keyref itself.",
                     "Remove it from headers.");
      }
    }
    for (char ch : value) {
      unsigned char c = static_cast<unsigned char>(ch);
      if ((c < 0x20 && c != '\t') || c == 0x7F) {
        return Error(ErrorCode::kHeaderForbidden,
                     "The value of header " + name +
                         " contains a line break, NUL or other control "
                         "character.");
      }
    }
  }
  return {};
}

}  // namespace keyref
