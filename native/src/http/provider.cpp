#include "keyref/provider.h"

#include <array>
#include <cctype>

namespace keyref {
namespace {

constexpr std::array<const char*, kProviderCount> kNames = {
    "openai",    "openai-compatible", "litellm", "openrouter",
    "anthropic", "azure-openai",      "gemini",  "ollama"};

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

const char* ProviderName(Provider provider) noexcept {
  int i = static_cast<int>(provider);
  return i >= 0 && i < kProviderCount ? kNames[i] : "unknown";
}

bool ProviderFromName(std::string_view name, Provider* out) noexcept {
  for (int i = 0; i < kProviderCount; ++i) {
    if (name == kNames[i]) {
      *out = static_cast<Provider>(i);
      return true;
    }
  }
  return false;
}

ProviderAuth AuthFor(Provider provider) noexcept {
  switch (provider) {
    case Provider::kOpenAI:
    case Provider::kOpenAICompatible:
    case Provider::kLiteLLM:
    case Provider::kOpenRouter:
      return {"authorization", "Bearer "};
    case Provider::kAnthropic:
      return {"x-api-key", ""};
    case Provider::kAzureOpenAI:
      return {"api-key", ""};
    case Provider::kGemini:
      // Google also accepts ?key=…; never use it: URLs are logged.
      return {"x-goog-api-key", ""};
    case Provider::kOllama:
      return {"", ""};
  }
  return {"", ""};
}

bool ProviderNeedsKey(Provider provider) noexcept {
  return provider != Provider::kOllama;
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
