// Proxy selection for outbound requests: the explicit `proxy` option (the
// host passes VS Code's http.proxy) or HTTPS_PROXY / HTTP_PROXY with
// NO_PROXY, as read by the caller (the addon reads process.env on the JS
// thread, so no worker thread calls getenv while JS may call setenv).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "keyref/base_url.h"
#include "keyref/error.h"

namespace keyref {

// An http:// proxy. user/password are the proxy's own credentials (from the
// host's proxy setting), never the API key.
struct ProxyServer {
  std::string host;
  int port = 0;
  std::string user;
  std::string password;
};

// Where the proxy settings come from.
struct ProxySettings {
  // The `proxy` option: when set, used for every request (NO_PROXY is not
  // consulted); an empty string is not allowed here.
  std::optional<std::string> explicit_proxy;
  // The `proxy: false` option: no proxy at all, the environment ignored.
  bool disabled = false;
  // HTTPS_PROXY (or https_proxy), HTTP_PROXY (or http_proxy), NO_PROXY.
  std::string env_https;
  std::string env_http;
  std::string env_no_proxy;
};

// Parses "http://[user:pass@]host[:port]" (port default 80). Other schemes
// and malformed URLs: PROXY_FAILED (the message never quotes the URL).
Result<ProxyServer> ParseProxyUrl(std::string_view url);

// True when NO_PROXY (comma-separated; "*", host names, ".suffix", IPs, each
// optionally with ":port") exempts `url` from the environment's proxy.
bool NoProxyMatches(std::string_view no_proxy, const BaseUrl& url);

// The proxy for `url`, or nullopt for a direct connection.
Result<std::optional<ProxyServer>> SelectProxy(const ProxySettings& settings,
                                               const BaseUrl& url);

}  // namespace keyref
