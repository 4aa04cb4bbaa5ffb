// Parsing and checking of the URLs a request goes to. A key never travels in
// a URL: a base URL with credentials (user:pass@), a key-like query
// parameter or a credential-shaped part is refused with BAD_BASE_URL.
// Messages never quote the URL (it may be the thing holding a key).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "keyref/error.h"

namespace keyref {

using QueryList = std::vector<std::pair<std::string, std::string>>;

// An http(s) origin plus a path prefix and query, as parsed from baseUrl.
struct BaseUrl {
  bool tls = false;  // https
  std::string host;  // without brackets for IPv6
  int port = 0;      // explicit or the scheme's default
  bool default_port = true;
  std::string path;  // "" or "/…" without a trailing "/"
  QueryList query;   // decoded name/value pairs from the base URL

  // "https://host:port" (brackets for IPv6, port always written).
  std::string Origin() const;
  // The Host header value (port omitted when it is the default).
  std::string HostHeader() const;
};

// Parses and checks `url` (see the file comment). Scheme http or https only
// (any case); a host is required; no fragment, no whitespace or control
// characters.
Result<BaseUrl> ParseBaseUrl(std::string_view url);

// True for a query parameter name that carries credentials: key, api_key,
// apikey, api-key, token, access_token, auth, … (any case).
bool IsKeyLikeQueryName(std::string_view name) noexcept;

// Checks query parameters (from baseUrl or the `query` option): key-like
// names and credential-shaped values are refused with BAD_BASE_URL.
Status CheckQuery(const QueryList& query);

// Checks a request path: "" or starting with "/", no "?", "#", whitespace,
// control characters or credential-shaped segments (BAD_BASE_URL).
Status CheckRequestPath(std::string_view path);

// Percent-encodes a query component (RFC 3986 unreserved kept).
std::string EncodeQueryComponent(std::string_view s);

// Decodes %XX and '+' in a query component; invalid escapes stay as they are.
std::string DecodeQueryComponent(std::string_view s);

// "name=value&…" from pairs, encoded.
std::string BuildQueryString(const QueryList& query);

}  // namespace keyref
