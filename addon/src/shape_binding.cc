#include "shape_binding.h"

#include <string>

#include "errors.h"
#include "keyref/credential_shape.h"
#include "keyref/secret_value.h"

namespace keyref::addon {
namespace {

// containsCredential(text: string): string | null
// The family name of the first credential-shaped span ("OpenAI/Anthropic-
// style sk- key"), or null. Never the span itself.
Napi::Value ContainsCredentialJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) {
    throw MakeArgError(env, false, "ERR_INVALID_ARG_TYPE",
                       "containsCredential(text: string)");
  }
  std::string text = info[0].As<Napi::String>().Utf8Value();
  CredentialFamily family = FirstCredentialShape(text);
  // The text may be a key (that is what is being asked): wipe the copy.
  SecureZero(text.data(), text.size());
  if (family == CredentialFamily::kNone) return env.Null();
  return Napi::String::New(env, CredentialFamilyName(family));
}

}  // namespace

void InitShapeBinding(Napi::Env env, Napi::Object exports) {
  exports.Set(
      "containsCredential",
      Napi::Function::New(env, ContainsCredentialJs, "containsCredential"));
}

}  // namespace keyref::addon
