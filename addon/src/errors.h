// The one place where a core keyref::Error becomes a JavaScript Error.
#pragma once

#include <napi.h>

#include "keyref/error.h"

namespace keyref::addon {

// An Error whose `.code` is the stable code string and whose `.hint` (when
// present) says what to do. The message comes from the core, which never
// puts a secret value in it; the redactor still scrubs it on the way out
// once an instance has one (see sidecar.cc).
Napi::Error MakeError(Napi::Env env, const Error& error);

// A TypeError / RangeError with a Node-style code (ERR_INVALID_ARG_TYPE …),
// for arguments the TypeScript layer should already have refused.
Napi::Error MakeArgError(Napi::Env env, bool range, const char* node_code,
                         const std::string& message);

}  // namespace keyref::addon
