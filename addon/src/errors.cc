#include "errors.h"

namespace keyref::addon {

namespace {

// The text as it may leave native code: scrubbed when there is a redactor.
std::string Scrubbed(const std::string& text, const Redactor* redactor) {
  std::string out;
  if (redactor && redactor->Scrub(text, &out)) return out;
  return text;
}

}  // namespace

Napi::Error MakeError(Napi::Env env, const Error& error,
                      const Redactor* redactor) {
  // Napi::Error::New captures the stack with this message: scrub first.
  Napi::Error e = Napi::Error::New(env, Scrubbed(error.message, redactor));
  Napi::Object obj = e.Value();
  obj.Set("code", Napi::String::New(env, ErrorCodeName(error.code)));
  if (!error.hint.empty()) {
    obj.Set("hint", Napi::String::New(env, Scrubbed(error.hint, redactor)));
  }
  return e;
}

Napi::Error MakeArgError(Napi::Env env, bool range, const char* node_code,
                         const std::string& message) {
  Napi::Error e = range ? Napi::Error(Napi::RangeError::New(env, message))
                        : Napi::Error(Napi::TypeError::New(env, message));
  e.Value().Set("code", Napi::String::New(env, node_code));
  return e;
}

}  // namespace keyref::addon
