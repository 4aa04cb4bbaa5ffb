// Origin patterns and the check that keeps a key away from every origin it
// is not bound to (docs/origins.md). The request builder calls
// CheckKeyOrigin right before the key is written; Instance::Grant calls it
// before the key is even resolved.
#include "keyref/origin.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace keyref {
namespace {

Error Bad(std::string message) {
  return Error(ErrorCode::kBadOrigin, "The origin " + std::move(message),
               "Write an origin as https://host or https://host:port "
               "(http:// only for 127.0.0.1, ::1 or localhost), or "
               "https://*.example.com for one leftmost label.");
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Dotted decimal as inet_pton reads it: four parts of 0-255, no leading
// zero. "127.0.0.256" or "127.0.0.08" is no address (the resolver would look
// it up as a name), so it is not a loopback host either.
bool IsIpv4(std::string_view h) {
  int parts = 0;
  while (!h.empty()) {
    std::size_t dot = h.find('.');
    std::string_view p = h.substr(0, dot);
    if (p.empty() || p.size() > 3 || (p.size() > 1 && p[0] == '0')) {
      return false;
    }
    int value = 0;
    for (char c : p) {
      if (c < '0' || c > '9') return false;
      value = value * 10 + (c - '0');
    }
    if (value > 255) return false;
    ++parts;
    if (dot == std::string_view::npos) break;
    h.remove_prefix(dot + 1);
    if (h.empty()) return false;
  }
  return parts == 4;
}

// DNS labels: 1-63 of [a-z0-9-_], not starting or ending with '-'; the last
// not all digits (no top-level domain is, and a resolver may read such a
// name as an address: "127.1", "127.0.0.256").
bool IsDnsName(std::string_view h, int* labels) {
  *labels = 0;
  if (h.empty() || h.size() > 253) return false;
  while (true) {
    std::size_t dot = h.find('.');
    std::string_view l = h.substr(0, dot);
    if (l.empty() || l.size() > 63 || l.front() == '-' || l.back() == '-')
      return false;
    bool digits = true;
    for (char ch : l) {
      unsigned char c = static_cast<unsigned char>(ch);
      if (!(std::isalnum(c) || ch == '-' || ch == '_')) return false;
      digits = digits && std::isdigit(c);
    }
    ++*labels;
    if (dot == std::string_view::npos) return !digits;
    h.remove_prefix(dot + 1);
  }
}

bool IsIpv6(std::string_view h) {
  if (h.size() < 2) return false;
  for (char ch : h) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (!(std::isxdigit(c) || ch == ':' || ch == '.')) return false;
  }
  return h.find(':') != std::string_view::npos;
}

}  // namespace

bool IsLoopbackHost(std::string_view host) noexcept {
  if (host == "localhost" || host == "::1") return true;
  return host.size() > 4 && host.substr(0, 4) == "127." && IsIpv4(host);
}

std::string OriginPattern::ToString() const {
  std::string out = tls ? "https://" : "http://";
  if (wildcard) out += "*.";
  if (host.find(':') != std::string::npos) {
    out += "[" + host + "]";
  } else {
    out += host;
  }
  if (port != (tls ? 443 : 80)) out += ":" + std::to_string(port);
  return out;
}

bool OriginPattern::Matches(const BaseUrl& target) const {
  if (target.tls != tls || target.port != port) return false;
  if (!wildcard) return target.host == host;
  // "*." matches exactly one leftmost label.
  const std::string& h = target.host;
  if (h.size() < host.size() + 2) return false;
  std::size_t label = h.size() - host.size() - 1;
  if (h[label] != '.' || h.compare(label + 1, std::string::npos, host) != 0)
    return false;
  return h.find('.') == label && label > 0;
}

Result<OriginPattern> ParseOriginPattern(std::string_view text) {
  if (text.empty()) return Bad("is empty.");
  if (text.size() > 300) return Bad("is longer than 300 characters.");
  for (char ch : text) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c >= 0x7F) {
      return Bad("contains whitespace, a control or a non-ASCII character.");
    }
  }
  std::size_t sep = text.find("://");
  if (sep == std::string_view::npos) return Bad("has no https:// scheme.");
  OriginPattern out;
  std::string scheme = Lower(text.substr(0, sep));
  if (scheme == "https") {
    out.tls = true;
    out.port = 443;
  } else if (scheme == "http") {
    out.tls = false;
    out.port = 80;
  } else {
    return Bad("must use https:// (or http:// for a loopback host).");
  }
  std::string_view rest = text.substr(sep + 3);
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.find_first_of("/?#@\\") != std::string_view::npos) {
    return Bad(
        "has a path, query, fragment or user info; an origin is "
        "scheme, host and port only.");
  }
  std::string_view host = rest;
  std::string_view port;
  if (!rest.empty() && rest[0] == '[') {
    std::size_t close = rest.find(']');
    if (close == std::string_view::npos) return Bad("has a malformed host.");
    host = rest.substr(1, close - 1);
    std::string_view tail = rest.substr(close + 1);
    if (!tail.empty()) {
      if (tail[0] != ':') return Bad("has a malformed host.");
      port = tail.substr(1);
      if (port.empty()) return Bad("has an empty port.");
    }
    if (!IsIpv6(host)) return Bad("has a malformed IPv6 address.");
  } else {
    std::size_t c = rest.rfind(':');
    if (c != std::string_view::npos) {
      host = rest.substr(0, c);
      port = rest.substr(c + 1);
      if (port.empty()) return Bad("has an empty port.");
    }
  }
  if (!port.empty()) {
    int p = 0;
    auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
    if (ec != std::errc() || ptr != port.data() + port.size() || p < 1 ||
        p > 65535) {
      return Bad("has a port that is not a number from 1 to 65535.");
    }
    out.port = p;
  }
  std::string h = Lower(host);
  if (h.empty()) return Bad("has no host.");
  if (h.rfind("*.", 0) == 0) {
    out.wildcard = true;
    h.erase(0, 2);
    int labels = 0;
    if (!out.tls) return Bad("is a wildcard over http; wildcards are https.");
    if (!IsDnsName(h, &labels) || IsIpv4(h)) {
      return Bad("has a wildcard that is not followed by a DNS name.");
    }
    if (labels < 2) {
      return Bad(
          "has a wildcard over a top-level domain; name at least "
          "two labels after *.");
    }
  } else if (h.find('*') != std::string::npos) {
    return Bad("has a * that is not the whole leftmost label.");
  } else if (h.find(':') == std::string::npos) {
    int labels = 0;
    if (!IsIpv4(h) && !IsDnsName(h, &labels)) {
      return Bad("has a host that is not a DNS name or an IP address.");
    }
  }
  if (!out.tls && !IsLoopbackHost(h)) {
    return Bad(
        "uses http:// for a host that is not loopback; keys travel "
        "over https only (http:// is allowed for 127.0.0.1, ::1 "
        "and localhost).");
  }
  out.host = std::move(h);
  return out;
}

OriginPattern OriginOf(const BaseUrl& url) {
  OriginPattern p;
  p.tls = url.tls;
  p.host = url.host;
  p.port = url.port;
  return p;
}

const char* OriginSourceName(OriginSource source) noexcept {
  switch (source) {
    case OriginSource::kProviderDefault:
      return "provider";
    case OriginSource::kStored:
      return "stored";
    case OriginSource::kPolicy:
      return "policy";
  }
  return "stored";
}

bool KeyBinding::Allows(const BaseUrl& target) const {
  return std::any_of(origins.begin(), origins.end(), [&](const BoundOrigin& o) {
    return o.pattern.Matches(target);
  });
}

std::vector<std::string> KeyBinding::OriginTexts() const {
  std::vector<std::string> out;
  for (const BoundOrigin& o : origins) {
    std::string t = o.pattern.ToString();
    if (std::find(out.begin(), out.end(), t) == out.end())
      out.push_back(std::move(t));
  }
  return out;
}

Status CheckKeyOrigin(const KeyBinding& binding, const ParsedRef& ref,
                      Provider provider, const BaseUrl& target) {
  if (binding.Allows(target)) return {};
  const std::string origin = OriginOf(target).ToString();
  const std::string how =
      "If " + origin + " is yours and you trust it with this key, bind it " +
      "where no workspace can: store the key with its origin " +
      "(storeSecret('" + ref.ref + "', key, { origins: ['" + origin +
      "'] }) or the keyref CLI), or add '" + origin + "' to policy.origins['" +
      ref.ref +
      "'] in your user settings. A workspace setting can never bind a key.";
  if (binding.origins.empty()) {
    return Error(ErrorCode::kKeyOriginUnbound,
                 "The key of " + ref.ref +
                     " is not bound to any origin, and "
                     "the provider " +
                     ProviderName(provider) +
                     " has no default origin, so it was not sent to " + origin +
                     ".",
                 how);
  }
  std::string allowed;
  for (const std::string& t : binding.OriginTexts()) {
    if (!allowed.empty()) allowed += ", ";
    allowed += t;
  }
  return Error(ErrorCode::kKeyOriginDenied,
               "The key of " + ref.ref + " (provider " +
                   ProviderName(provider) + ") may only be sent to " + allowed +
                   "; it was not sent to " + origin + ".",
               "Check the profile's baseUrl: a changed baseUrl (a workspace "
               "setting, say) is how keys are stolen. " +
                   how);
}

}  // namespace keyref
