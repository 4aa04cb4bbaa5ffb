// The one error type of the keyref core. Every component maps its failures
// into an ErrorCode; the addon turns an Error into a JS Error with a stable
// string `.code` in exactly one place (addon/src/errors.cc).
//
// An Error's message and hint are shown to people and handed to JavaScript.
// They must never contain a secret value, nor the text of a ref that was
// refused as a literal secret.
#pragma once

#include <string>
#include <utility>
#include <variant>

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
  // Origins a key may be sent to (docs/origins.md).
  kKeyOriginDenied,
  kKeyOriginUnbound,
  kBadOrigin,
  // Profiles and the webview bridge.
  kProfileContainsSecret,
  kProfileInvalid,
  kWebviewLeakBlocked,
  kExportDenied,
  // Anything else: a bug or an OS failure that fits no code above.
  kInternal,
};

// The stable string form of a code, e.g. "REF_NO_SCHEME".
const char* ErrorCodeName(ErrorCode code) noexcept;

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
