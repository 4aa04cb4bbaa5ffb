#include "errors.h"

#include <string>

#include "result_values.h"

namespace keyref::addon {

namespace {

// The text as it may leave native code: scrubbed when there is a redactor.
std::string Scrubbed(const std::string& text, const Redactor* redactor) {
  std::string out;
  if (redactor && redactor->Scrub(text, &out)) return out;
  return text;
}

}  // namespace

napi_value ErrorValue(napi_env env, const Error& error,
                      const Redactor* redactor) {
  // napi_create_error captures the stack with this message: scrub first.
  const std::string message = Scrubbed(error.message, redactor);
  napi_value msg = nullptr, err = nullptr;
  if (napi_create_string_utf8(env, message.data(), message.size(), &msg) !=
          napi_ok ||
      napi_create_error(env, nullptr, msg, &err) != napi_ok) {
    return nullptr;
  }
  SetStr(env, err, "code", ErrorCodeName(error.code));
  if (!error.hint.empty()) {
    SetStr(env, err, "hint", Scrubbed(error.hint, redactor));
  }
  return err;
}

Napi::Error MakeError(Napi::Env env, const Error& error,
                      const Redactor* redactor) {
  napi_value err = ErrorValue(env, error, redactor);
  if (!err) return Napi::Error::New(env, "keyref failed internally.");
  return Napi::Error(env, err);
}

Napi::Error MakeArgError(Napi::Env env, bool range, const char* node_code,
                         const std::string& message) {
  Napi::Error e = range ? Napi::Error(Napi::RangeError::New(env, message))
                        : Napi::Error(Napi::TypeError::New(env, message));
  e.Value().Set("code", Napi::String::New(env, node_code));
  return e;
}

}  // namespace keyref::addon
