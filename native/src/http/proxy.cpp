#include "keyref/proxy.h"

#include <cctype>
#include <charconv>

namespace keyref {
namespace {

Error Bad(std::string message) {
  return Error(ErrorCode::kProxyFailed, std::move(message),
               "Check the proxy setting (http.proxy) or HTTPS_PROXY / "
               "HTTP_PROXY; keyref supports http:// proxies.");
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
    s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
    s.remove_suffix(1);
  return s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

Result<ProxyServer> ParseProxyUrl(std::string_view url) {
  url = Trim(url);
  std::size_t sep = url.find("://");
  std::string_view rest = url;
  if (sep != std::string_view::npos) {
    if (Lower(url.substr(0, sep)) != "http") {
      return Bad(
          "The proxy URL scheme is not supported; keyref supports "
          "http:// proxies (which tunnel https with CONNECT).");
    }
    rest = url.substr(sep + 3);
  }
  std::size_t slash = rest.find('/');
  if (slash != std::string_view::npos) {
    if (rest.substr(slash).find_first_not_of('/') != std::string_view::npos) {
      return Bad("The proxy URL must not have a path.");
    }
    rest = rest.substr(0, slash);
  }
  ProxyServer out;
  std::size_t at = rest.rfind('@');
  if (at != std::string_view::npos) {
    std::string_view cred = rest.substr(0, at);
    std::size_t colon = cred.find(':');
    out.user = DecodeQueryComponent(cred.substr(0, colon));
    if (colon != std::string_view::npos) {
      out.password = DecodeQueryComponent(cred.substr(colon + 1));
    }
    rest = rest.substr(at + 1);
  }
  std::string_view host = rest, port;
  if (!rest.empty() && rest[0] == '[') {
    std::size_t close = rest.find(']');
    if (close == std::string_view::npos)
      return Bad("The proxy URL host is malformed.");
    host = rest.substr(1, close - 1);
    if (close + 1 < rest.size()) {
      if (rest[close + 1] != ':')
        return Bad("The proxy URL host is malformed.");
      port = rest.substr(close + 2);
    }
  } else if (std::size_t c = rest.rfind(':'); c != std::string_view::npos) {
    host = rest.substr(0, c);
    port = rest.substr(c + 1);
  }
  if (host.empty()) return Bad("The proxy URL has no host.");
  for (char ch : host) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (!(std::isalnum(c) || ch == '-' || ch == '.' || ch == ':' ||
          ch == '_')) {
      return Bad(
          "The proxy URL host contains a character that is not allowed.");
    }
  }
  out.host = std::string(host);
  out.port = 80;
  if (!port.empty()) {
    int p = 0;
    auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
    if (ec != std::errc() || ptr != port.data() + port.size() || p < 1 ||
        p > 65535) {
      return Bad("The proxy URL port must be a number from 1 to 65535.");
    }
    out.port = p;
  }
  return out;
}

bool NoProxyMatches(std::string_view no_proxy, const BaseUrl& url) {
  while (!no_proxy.empty()) {
    std::size_t comma = no_proxy.find_first_of(", ");
    std::string entry = Lower(Trim(no_proxy.substr(0, comma)));
    no_proxy = comma == std::string_view::npos ? std::string_view()
                                               : no_proxy.substr(comma + 1);
    if (entry.empty()) continue;
    if (entry == "*") return true;
    int port = 0;
    if (entry[0] == '[') {
      std::size_t close = entry.find(']');
      if (close == std::string::npos) continue;
      if (close + 1 < entry.size() && entry[close + 1] == ':') {
        port = std::atoi(entry.c_str() + close + 2);
      }
      entry = entry.substr(1, close - 1);
    } else if (std::size_t c = entry.rfind(':');
               c != std::string::npos && entry.find(':') == c) {
      port = std::atoi(entry.c_str() + c + 1);
      entry.resize(c);
    }
    if (port != 0 && port != url.port) continue;
    while (!entry.empty() && (entry[0] == '.' || entry[0] == '*')) {
      entry.erase(0, 1);
    }
    if (entry.empty()) continue;
    const std::string& h = url.host;
    if (h == entry) return true;
    if (h.size() > entry.size() &&
        h.compare(h.size() - entry.size(), entry.size(), entry) == 0 &&
        h[h.size() - entry.size() - 1] == '.') {
      return true;
    }
  }
  return false;
}

Result<std::optional<ProxyServer>> SelectProxy(const ProxySettings& settings,
                                               const BaseUrl& url) {
  if (settings.disabled) return std::optional<ProxyServer>();
  if (settings.explicit_proxy) {
    Result<ProxyServer> p = ParseProxyUrl(*settings.explicit_proxy);
    if (!p) return std::move(p).error();
    return std::optional<ProxyServer>(std::move(p).value());
  }
  const std::string& env = url.tls ? settings.env_https : settings.env_http;
  if (Trim(env).empty() || NoProxyMatches(settings.env_no_proxy, url)) {
    return std::optional<ProxyServer>();
  }
  Result<ProxyServer> p = ParseProxyUrl(env);
  if (!p) return std::move(p).error();
  return std::optional<ProxyServer>(std::move(p).value());
}

}  // namespace keyref
