#include "keyref/provider.h"

#include <cctype>

#include "keyref/credential_names.h"

namespace keyref {
namespace {

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

const ProviderInfo& ProviderInfoOf(Provider provider) noexcept {
  int i = static_cast<int>(provider);
  return kProviders[i >= 0 && i < kProviderCount ? i : 0];
}

const char* ProviderName(Provider provider) noexcept {
  int i = static_cast<int>(provider);
  // The names are string literals, so data() is NUL-terminated.
  return i >= 0 && i < kProviderCount ? kProviders[i].name.data() : "unknown";
}

bool ProviderFromName(std::string_view name, Provider* out) noexcept {
  for (const ProviderInfo& p : kProviders) {
    if (name == p.name) {
      *out = p.provider;
      return true;
    }
  }
  return false;
}

const char* ProviderOptionName(ProviderOption option) noexcept {
  switch (option) {
    case ProviderOption::kApiVersion:
      return "apiVersion";
    case ProviderOption::kReferer:
      return "referer";
    case ProviderOption::kTitle:
      return "title";
  }
  return "";
}

ProviderAuth AuthFor(Provider provider) noexcept {
  return ProviderInfoOf(provider).auth;
}

std::string_view DefaultOrigin(Provider provider) noexcept {
  // Only providers that take a key have a binding default; the row's
  // origin is https for every one of them (test/native/origin_test.cpp).
  const ProviderInfo& row = ProviderInfoOf(provider);
  return row.key_required ? row.default_origin : std::string_view();
}

bool ProviderNeedsKey(Provider provider) noexcept {
  return ProviderInfoOf(provider).key_required;
}

bool ProviderUsesOption(Provider provider, ProviderOption option) noexcept {
  for (const ProviderExtra& e : ProviderInfoOf(provider).extras) {
    if (e.kind != ProviderExtra::Kind::kNone && e.option == option) return true;
  }
  return false;
}

HeaderList ProviderHeaders(Provider provider, const ProviderOptionValues& opts,
                           const HeaderList& caller) {
  HeaderList out;
  for (const ProviderExtra& e : ProviderInfoOf(provider).extras) {
    if (e.kind != ProviderExtra::Kind::kHeader) continue;
    if (e.unless_caller_sets) {
      bool set = false;
      for (const auto& h : caller)
        set = set || EqualsIgnoreCase(h.first, e.name);
      if (set) continue;
    }
    std::string_view v = opts.Get(e.option);
    if (v.empty()) v = e.fallback;
    if (!v.empty()) out.emplace_back(std::string(e.name), std::string(v));
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> ProviderQuery(
    Provider provider, const ProviderOptionValues& opts) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const ProviderExtra& e : ProviderInfoOf(provider).extras) {
    if (e.kind != ProviderExtra::Kind::kQuery) continue;
    std::string_view v = opts.Get(e.option);
    if (v.empty()) v = e.fallback;
    if (!v.empty()) out.emplace_back(std::string(e.name), std::string(v));
  }
  return out;
}

bool IsCredentialHeader(std::string_view name) noexcept {
  for (std::string_view h : kCredentialHeaders) {
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
    for (std::string_view h : kKeyrefOwnedHeaders) {
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
