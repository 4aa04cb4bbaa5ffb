// parseRef's native half: the v1 rules run here, the JS layer only builds
// the result object (addon/ts/ref.ts).
#pragma once

#include <napi.h>

namespace keyref::addon {

void InitRefBinding(Napi::Env env, Napi::Object exports);

}  // namespace keyref::addon
