// Reading the normalised option objects the TypeScript layer passes. The
// TS layer has already checked types and ranges; these only fall back.
#pragma once

#include <napi.h>

#include <string>

namespace keyref::addon {

// o[key] as a string, or "" when it is not one.
inline std::string StringProp(const Napi::Object& o, const char* key) {
  Napi::Value v = o.Get(key);
  return v.IsString() ? v.As<Napi::String>().Utf8Value() : std::string();
}

// o[key] as a number, or `fallback` when it is not one.
inline double NumberProp(const Napi::Object& o, const char* key,
                         double fallback) {
  Napi::Value v = o.Get(key);
  return v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : fallback;
}

}  // namespace keyref::addon
