// containsCredential(text): keyref's credential-shape detector
// (native/include/keyref/credential_shape.h) for the TypeScript profile
// store and webview bridge, so that they agree with the ref parser and the
// redactor on what a key looks like.
#pragma once

#include <napi.h>

namespace keyref::addon {

void InitShapeBinding(Napi::Env env, Napi::Object exports);

}  // namespace keyref::addon
