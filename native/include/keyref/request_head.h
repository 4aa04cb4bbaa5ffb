// What keyref writes into a request's head besides the caller's headers
// (checked by CheckCallerHeaders) and the URL (ParseBaseUrl,
// CheckRequestPath, CheckQuery): the method, Content-Type, the OpenRouter
// HTTP-Referer and X-Title, and the Anthropic / Azure api version.
//
// The TypeScript layer checks the same options, but native code must not
// rely on it: any JavaScript in the process can call the raw binding
// (docs/threat-model.md, "Native validates what it writes to the wire").
#pragma once

#include <string_view>

#include "keyref/error.h"
#include "keyref/http_client.h"

namespace keyref {

// True for the methods keyref sends: GET, POST, PUT, PATCH, DELETE, HEAD,
// OPTIONS (upper case, as the TypeScript layer accepts them).
bool IsAllowedMethod(std::string_view method) noexcept;

// True when `value` may be written as an HTTP field value: no CR, LF, NUL or
// other control character (horizontal tab allowed), RFC 9110 section 5.5.
bool IsSafeFieldValue(std::string_view value) noexcept;

// HEADER_FORBIDDEN when the method is not one keyref sends, or when
// content_type, referer, title or api_version holds a character that could
// end the field or the head (CR, LF, NUL, other controls). The message
// names the option, never its value.
Status CheckRequestHead(const HttpRequest& request);

}  // namespace keyref
