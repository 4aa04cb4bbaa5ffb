#include "errors.h"

namespace keyref::addon {

Napi::Error MakeError(Napi::Env env, const Error& error) {
  Napi::Error e = Napi::Error::New(env, error.message);
  Napi::Object obj = e.Value();
  obj.Set("code", Napi::String::New(env, ErrorCodeName(error.code)));
  if (!error.hint.empty()) {
    obj.Set("hint", Napi::String::New(env, error.hint));
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
