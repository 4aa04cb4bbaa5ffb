#include "keyref/base_url.h"

#include <cctype>
#include <charconv>
#include <vector>

#include "keyref/credential_names.h"
#include "keyref/credential_shape.h"

namespace keyref {
namespace {

Error Bad(std::string message, std::string hint = {}) {
  return Error(ErrorCode::kBadBaseUrl, std::move(message), std::move(hint));
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool HasCredentialShape(std::string_view text) {
  if (text.empty()) return false;
  std::vector<CredentialMatch> found;
  FindCredentialShapes(text, &found);
  return !found.empty();
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string BaseUrl::Origin() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return std::string(tls ? "https://" : "http://") + h + ":" +
         std::to_string(port);
}

std::string BaseUrl::HostHeader() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (!default_port) h += ":" + std::to_string(port);
  return h;
}

bool IsKeyLikeQueryName(std::string_view name) noexcept {
  std::string n = Lower(name);
  for (std::string_view k : kKeyLikeQueryNames) {
    if (n == k) return true;
  }
  return false;
}

std::string DecodeQueryComponent(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out.push_back(' ');
    } else if (s[i] == '%' && i + 2 < s.size() && HexValue(s[i + 1]) >= 0 &&
               HexValue(s[i + 2]) >= 0) {
      out.push_back(
          static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::string EncodeQueryComponent(std::string_view s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string BuildQueryString(const QueryList& query) {
  std::string out;
  for (const auto& [k, v] : query) {
    if (!out.empty()) out.push_back('&');
    out += EncodeQueryComponent(k);
    out.push_back('=');
    out += EncodeQueryComponent(v);
  }
  return out;
}

Status CheckQuery(const QueryList& query) {
  for (const auto& [name, value] : query) {
    if (IsKeyLikeQueryName(name)) {
      return Bad("The URL has a query parameter named " + Lower(name) +
                     ", which carries credentials; keys never travel in URLs.",
                 "Remove it; give the key by reference in apiKeyRef.");
    }
    if (HasCredentialShape(value) || HasCredentialShape(name)) {
      return Bad(
          "A query parameter of the URL looks like a credential; keys "
          "never travel in URLs.",
          "Remove it; give the key by reference in apiKeyRef.");
    }
  }
  return {};
}

Status CheckRequestPath(std::string_view path) {
  if (path.empty()) return {};
  if (path[0] != '/') {
    return Bad("The request path must start with \"/\".");
  }
  for (char ch : path) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c == 0x7F || ch == '?' || ch == '#' || ch == '\\') {
      return Bad(
          "The request path contains a space, control character, "
          "\"?\", \"#\" or \"\\\".",
          "Give query parameters in the query option.");
    }
  }
  std::size_t start = 1;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    if (HasCredentialShape(
            DecodeQueryComponent(path.substr(start, end - start)))) {
      return Bad(
          "A segment of the request path looks like a credential; "
          "keys never travel in URLs.");
    }
    start = end + 1;
  }
  return {};
}

Result<BaseUrl> ParseBaseUrl(std::string_view url) {
  for (char ch : url) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c == 0x7F) {
      return Bad("The base URL contains whitespace or a control character.");
    }
  }
  std::size_t colon = url.find("://");
  if (colon == std::string_view::npos) {
    return Bad(
        "The base URL has no scheme; it must start with https:// or "
        "http://.");
  }
  std::string scheme = Lower(url.substr(0, colon));
  BaseUrl out;
  if (scheme == "https") {
    out.tls = true;
    out.port = 443;
  } else if (scheme == "http") {
    out.port = 80;
  } else {
    return Bad("The base URL scheme must be https or http.");
  }
  std::string_view rest = url.substr(colon + 3);
  if (rest.find('#') != std::string_view::npos) {
    return Bad("The base URL has a fragment (#…).");
  }
  std::size_t auth_end = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, auth_end);
  std::string_view after = auth_end == std::string_view::npos
                               ? std::string_view()
                               : rest.substr(auth_end);
  if (authority.find('@') != std::string_view::npos) {
    return Bad(
        "The base URL contains credentials (user:password@); keys "
        "never travel in URLs.",
        "Remove them; give the key by reference in apiKeyRef.");
  }
  std::string_view host = authority;
  std::string_view port;
  if (!authority.empty() && authority[0] == '[') {
    std::size_t close = authority.find(']');
    if (close == std::string_view::npos)
      return Bad("The base URL host is malformed.");
    host = authority.substr(1, close - 1);
    std::string_view tail = authority.substr(close + 1);
    if (!tail.empty()) {
      if (tail[0] != ':') return Bad("The base URL host is malformed.");
      port = tail.substr(1);
    }
  } else {
    std::size_t c = authority.rfind(':');
    if (c != std::string_view::npos) {
      host = authority.substr(0, c);
      port = authority.substr(c + 1);
    }
  }
  if (host.empty()) return Bad("The base URL has no host.");
  for (char ch : host) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (!(std::isalnum(c) || ch == '-' || ch == '.' || ch == ':' ||
          ch == '_')) {
      return Bad("The base URL host contains a character that is not allowed.");
    }
  }
  if (!port.empty()) {
    int p = 0;
    auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
    if (ec != std::errc() || ptr != port.data() + port.size() || p < 1 ||
        p > 65535) {
      return Bad("The base URL port must be a number from 1 to 65535.");
    }
    out.default_port = p == out.port;
    out.port = p;
  } else if (authority.size() && authority.back() == ':') {
    return Bad("The base URL port is empty.");
  }
  out.host = Lower(host);
  std::size_t q = after.find('?');
  std::string_view path = after.substr(0, q);
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  if (Status st = CheckRequestPath(path); !st) return std::move(st).error();
  out.path = std::string(path);
  if (q != std::string_view::npos) {
    std::string_view qs = after.substr(q + 1);
    while (!qs.empty()) {
      std::size_t amp = qs.find('&');
      std::string_view pair = qs.substr(0, amp);
      if (!pair.empty()) {
        std::size_t eq = pair.find('=');
        std::string_view k = pair.substr(0, eq);
        std::string_view v = eq == std::string_view::npos ? std::string_view()
                                                          : pair.substr(eq + 1);
        out.query.emplace_back(DecodeQueryComponent(k),
                               DecodeQueryComponent(v));
      }
      if (amp == std::string_view::npos) break;
      qs.remove_prefix(amp + 1);
    }
    if (Status st = CheckQuery(out.query); !st) return std::move(st).error();
  }
  return out;
}

}  // namespace keyref
