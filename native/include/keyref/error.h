// The one error type of the keyref core. Every component maps its failures
// into an ErrorCode; the addon turns an Error into a JS Error with a stable
// string `.code` in exactly one place (addon/src/errors.cc).
//
// An Error's message and hint are shown to people and handed to JavaScript.
// They must never contain a secret value, nor the text of a ref that was
// refused as a literal secret.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "keyref/table.h"

namespace keyref {

// Stable codes. The string form (ErrorCodeName) is public API: it is what
// JavaScript sees as `err.code` and what docs/errors.md lists. Never rename.
enum class ErrorCode {
  kOk = 0,
  // apiKeyRef parsing (docs/apikeyref.md), in the order they are checked.
  kRefEmpty,
  kRefLiteralSecret,
  kRefTooLong,
  kRefBadChar,
  kRefNoScheme,
  kRefUnknownScheme,
  kRefSchemeDisabled,
  kRefBadName,
  // Secret resolution.
  kSecretNotFound,
  kSourceUnavailable,
  kSourceLocked,
  kSourceDenied,
  kSourceTimeout,
  kSecretMalformed,
  // Outbound requests.
  kRequestTimeout,
  kRequestAborted,
  kConnectFailed,
  kTlsFailed,
  kProxyFailed,
  kHeaderForbidden,
  kBadBaseUrl,
  kResponseTooLarge,  // a body or event over the documented caps
  // Origins a key may be sent to (docs/origins.md).
  kKeyOriginDenied,
  kKeyOriginUnbound,
  kBadOrigin,
  kKeyChanged,  // a binding asked for one key found another stored
  // Profiles and the webview bridge.
  kProfileContainsSecret,
  kProfileInvalid,
  kWebviewLeakBlocked,
  kExportDenied,
  // Anything else: a bug or an OS failure that fits no code above. Stays
  // last: kErrorCodes is checked against it.
  kInternal,
};

// What a code is about; docs/errors.md has one section per class.
enum class ErrorClass { kOk = 0, kRef, kSource, kRequest, kProfile, kInternal };

// One row of the error-code table.
struct ErrorCodeInfo {
  ErrorCode code;
  const char* name;  // the stable string form, e.g. "REF_NO_SCHEME"
  ErrorClass error_class;
};

// THE list of error codes, in enum order, kOk first. Everything else
// (ErrorCodeName, the addon's `catalog.errorCodes`, the TypeScript
// `KeyrefErrorCode` union, docs/errors.md) derives from it, and
// test/node/catalog_drift.test.js fails when one of them disagrees. Adding a
// code: an enumerator above kInternal, a row here, a row in docs/errors.md,
// then `node scripts/gen-catalog.js`.
inline constexpr ErrorCodeInfo kErrorCodes[] = {
    {ErrorCode::kOk, "OK", ErrorClass::kOk},
    {ErrorCode::kRefEmpty, "REF_EMPTY", ErrorClass::kRef},
    {ErrorCode::kRefLiteralSecret, "REF_LITERAL_SECRET", ErrorClass::kRef},
    {ErrorCode::kRefTooLong, "REF_TOO_LONG", ErrorClass::kRef},
    {ErrorCode::kRefBadChar, "REF_BAD_CHAR", ErrorClass::kRef},
    {ErrorCode::kRefNoScheme, "REF_NO_SCHEME", ErrorClass::kRef},
    {ErrorCode::kRefUnknownScheme, "REF_UNKNOWN_SCHEME", ErrorClass::kRef},
    {ErrorCode::kRefSchemeDisabled, "REF_SCHEME_DISABLED", ErrorClass::kRef},
    {ErrorCode::kRefBadName, "REF_BAD_NAME", ErrorClass::kRef},
    {ErrorCode::kSecretNotFound, "SECRET_NOT_FOUND", ErrorClass::kSource},
    {ErrorCode::kSourceUnavailable, "SOURCE_UNAVAILABLE", ErrorClass::kSource},
    {ErrorCode::kSourceLocked, "SOURCE_LOCKED", ErrorClass::kSource},
    {ErrorCode::kSourceDenied, "SOURCE_DENIED", ErrorClass::kSource},
    {ErrorCode::kSourceTimeout, "SOURCE_TIMEOUT", ErrorClass::kSource},
    {ErrorCode::kSecretMalformed, "SECRET_MALFORMED", ErrorClass::kSource},
    {ErrorCode::kRequestTimeout, "REQUEST_TIMEOUT", ErrorClass::kRequest},
    {ErrorCode::kRequestAborted, "REQUEST_ABORTED", ErrorClass::kRequest},
    {ErrorCode::kConnectFailed, "CONNECT_FAILED", ErrorClass::kRequest},
    {ErrorCode::kTlsFailed, "TLS_FAILED", ErrorClass::kRequest},
    {ErrorCode::kProxyFailed, "PROXY_FAILED", ErrorClass::kRequest},
    {ErrorCode::kHeaderForbidden, "HEADER_FORBIDDEN", ErrorClass::kRequest},
    {ErrorCode::kBadBaseUrl, "BAD_BASE_URL", ErrorClass::kRequest},
    {ErrorCode::kResponseTooLarge, "RESPONSE_TOO_LARGE", ErrorClass::kRequest},
    {ErrorCode::kKeyOriginDenied, "KEY_ORIGIN_DENIED", ErrorClass::kRequest},
    {ErrorCode::kKeyOriginUnbound, "KEY_ORIGIN_UNBOUND", ErrorClass::kRequest},
    {ErrorCode::kBadOrigin, "BAD_ORIGIN", ErrorClass::kRequest},
    {ErrorCode::kKeyChanged, "KEY_CHANGED", ErrorClass::kRequest},
    {ErrorCode::kProfileContainsSecret, "PROFILE_CONTAINS_SECRET",
     ErrorClass::kProfile},
    {ErrorCode::kProfileInvalid, "PROFILE_INVALID", ErrorClass::kProfile},
    {ErrorCode::kWebviewLeakBlocked, "WEBVIEW_LEAK_BLOCKED",
     ErrorClass::kProfile},
    {ErrorCode::kExportDenied, "EXPORT_DENIED", ErrorClass::kProfile},
    {ErrorCode::kInternal, "INTERNAL", ErrorClass::kInternal},
};
inline constexpr std::size_t kErrorCodeCount =
    sizeof(kErrorCodes) / sizeof(kErrorCodes[0]);

static_assert(RowsInEnumOrder(kErrorCodes,
                              [](const ErrorCodeInfo& r) { return r.code; }) &&
                  static_cast<std::size_t>(ErrorCode::kInternal) + 1 ==
                      kErrorCodeCount,
              "kErrorCodes must list every ErrorCode once, in enum order: "
              "add a row for the new code (error.h)");

// The stable string form of a code, e.g. "REF_NO_SCHEME".
const char* ErrorCodeName(ErrorCode code) noexcept;
// The class of a code.
ErrorClass ErrorClassOf(ErrorCode code) noexcept;
// "ok", "ref", "source", "request", "profile", "internal".
const char* ErrorClassName(ErrorClass error_class) noexcept;
// A store that is there but gave no answer this time: it timed out (a busy
// or frozen daemon) or is locked. A caller that needs what it holds stops
// with the code rather than go on without it (docs/origins.md).
constexpr bool IsUnanswered(ErrorCode code) noexcept {
  return code == ErrorCode::kSourceTimeout || code == ErrorCode::kSourceLocked;
}

// An error with a stable code, a one-line message and an optional hint that
// tells the user what to do. Neither text may hold a secret value.
struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
  std::string hint;

  Error() = default;
  Error(ErrorCode c, std::string m, std::string h = {})
      : code(c), message(std::move(m)), hint(std::move(h)) {}
};

// A value or an Error. Small on purpose: the core needs nothing more.
template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT

  bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  T& value() & { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const T& value() const& { return std::get<0>(v_); }
  const Error& error() const& { return std::get<1>(v_); }
  Error&& error() && { return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Error> v_;
};

// Result<void>: success or an Error.
class Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT
  bool ok() const noexcept { return ok_; }
  explicit operator bool() const noexcept { return ok_; }
  const Error& error() const& { return error_; }
  Error&& error() && { return std::move(error_); }

 private:
  Error error_;
  bool ok_ = true;
};

}  // namespace keyref
