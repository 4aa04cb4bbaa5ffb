// The credential-name vocabularies: the names a key travels under in
// headers, query strings and JSON properties. Native code owns these lists;
// the addon exports them (`catalog`), and TypeScript reads them from there
// (addon/ts/catalog.ts), so a new name is added here once.
//
// The redactor's own list of header names whose values it masks
// (native/src/redaction/header_rule.cpp) is wider on purpose (cookies,
// session tokens): it scrubs output, where missing a name leaks, while
// these lists refuse input, where a false match refuses a legitimate name.
#pragma once

#include <string_view>

namespace keyref {

// Request headers that carry or replace a key (any case). keyref sets the
// provider's key header itself; a caller header with one of these names is
// refused (HEADER_FORBIDDEN). Every provider's auth header is one of them.
inline constexpr std::string_view kCredentialHeaders[] = {
    "authorization", "x-api-key", "api-key", "x-goog-api-key",
    "proxy-authorization"};

// Query parameter names that carry credentials (any case), refused in a
// base URL or the `query` option (BAD_BASE_URL): keys stay out of URLs,
// which end up in proxy and server access logs.
inline constexpr std::string_view kKeyLikeQueryNames[] = {
    "key",           "api_key",        "apikey",
    "api-key",       "x-api-key",      "token",
    "access_token",  "accesstoken",    "auth",
    "auth_token",    "authorization",  "secret",
    "client_secret", "password",       "passwd",
    "bearer",        "x-goog-api-key", "subscription-key",
    "sig",           "signature"};

// A JSON property is named like a credential when its name, lower-cased
// with everything but letters and digits removed (and "tokens", a count,
// removed), contains one of kCredentialNameParts, equals one of
// kCredentialNameWords, or ends in "key" — unless it is one of
// kCredentialNameExceptions, which hold a ref or a state, never a value.
// Used by the profile store and the webview bridge (addon/ts/guard.ts).
inline constexpr std::string_view kCredentialNameParts[] = {
    "apikey",        "secret",     "token",      "passw",  "passphrase",
    "authorization", "bearer",     "credential", "cookie", "privatekey",
    "accesskey",     "sessionkey", "signature"};
inline constexpr std::string_view kCredentialNameWords[] = {"key", "auth",
                                                            "pwd", "pass"};
inline constexpr std::string_view kCredentialNameExceptions[] = {
    "apikeyref", "secretstate", "secretcode", "secrethint"};

// Query parameters a profile's baseUrl may not carry besides
// credential-named ones: Azure SAS `sig`, Azure Functions `code`.
inline constexpr std::string_view kProfileUrlKeyNames[] = {"sig", "code"};

}  // namespace keyref
