#include "keyref/error.h"

namespace keyref {

const char* ErrorCodeName(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::kOk:
      return "OK";
    case ErrorCode::kRefEmpty:
      return "REF_EMPTY";
    case ErrorCode::kRefLiteralSecret:
      return "REF_LITERAL_SECRET";
    case ErrorCode::kRefTooLong:
      return "REF_TOO_LONG";
    case ErrorCode::kRefBadChar:
      return "REF_BAD_CHAR";
    case ErrorCode::kRefNoScheme:
      return "REF_NO_SCHEME";
    case ErrorCode::kRefUnknownScheme:
      return "REF_UNKNOWN_SCHEME";
    case ErrorCode::kRefSchemeDisabled:
      return "REF_SCHEME_DISABLED";
    case ErrorCode::kRefBadName:
      return "REF_BAD_NAME";
    case ErrorCode::kSecretNotFound:
      return "SECRET_NOT_FOUND";
    case ErrorCode::kSourceUnavailable:
      return "SOURCE_UNAVAILABLE";
    case ErrorCode::kSourceLocked:
      return "SOURCE_LOCKED";
    case ErrorCode::kSourceDenied:
      return "SOURCE_DENIED";
    case ErrorCode::kSourceTimeout:
      return "SOURCE_TIMEOUT";
    case ErrorCode::kSecretMalformed:
      return "SECRET_MALFORMED";
    case ErrorCode::kRequestTimeout:
      return "REQUEST_TIMEOUT";
    case ErrorCode::kRequestAborted:
      return "REQUEST_ABORTED";
    case ErrorCode::kConnectFailed:
      return "CONNECT_FAILED";
    case ErrorCode::kTlsFailed:
      return "TLS_FAILED";
    case ErrorCode::kProxyFailed:
      return "PROXY_FAILED";
    case ErrorCode::kHeaderForbidden:
      return "HEADER_FORBIDDEN";
    case ErrorCode::kBadBaseUrl:
      return "BAD_BASE_URL";
    case ErrorCode::kKeyOriginDenied:
      return "KEY_ORIGIN_DENIED";
    case ErrorCode::kKeyOriginUnbound:
      return "KEY_ORIGIN_UNBOUND";
    case ErrorCode::kBadOrigin:
      return "BAD_ORIGIN";
    case ErrorCode::kProfileContainsSecret:
      return "PROFILE_CONTAINS_SECRET";
    case ErrorCode::kProfileInvalid:
      return "PROFILE_INVALID";
    case ErrorCode::kWebviewLeakBlocked:
      return "WEBVIEW_LEAK_BLOCKED";
    case ErrorCode::kExportDenied:
      return "EXPORT_DENIED";
    case ErrorCode::kInternal:
      return "INTERNAL";
  }
  return "INTERNAL";
}

}  // namespace keyref
