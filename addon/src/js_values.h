// Reading the normalised option objects the TypeScript layer passes. The
// TS layer has already checked types and ranges; these only fall back.
#pragma once

#include <napi.h>

#include <chrono>
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

// o[key] as milliseconds, or `fallback` when it is not a number.
inline std::chrono::milliseconds MillisProp(
    const Napi::Object& o, const char* key,
    std::chrono::milliseconds fallback) {
  return std::chrono::milliseconds(static_cast<long long>(
      NumberProp(o, key, static_cast<double>(fallback.count()))));
}

}  // namespace keyref::addon
