// The one place where a core keyref::Error becomes a JavaScript Error.
#pragma once

#include <napi.h>

#include "keyref/error.h"
#include "keyref/redactor.h"

namespace keyref::addon {

// An Error whose `.code` is the stable code string and whose `.hint` (when
// present) says what to do. The message comes from the core, which never
// puts a secret value in it; when the error belongs to an instance, pass its
// redactor and message and hint are scrubbed on the way out too (a provider's
// error text may echo a key). The stack is built from the scrubbed message,
// and no `cause` is set, so neither can carry a value.
Napi::Error MakeError(Napi::Env env, const Error& error,
                      const Redactor* redactor = nullptr);

// A TypeError / RangeError with a Node-style code (ERR_INVALID_ARG_TYPE …),
// for arguments the TypeScript layer should already have refused.
Napi::Error MakeArgError(Napi::Env env, bool range, const char* node_code,
                         const std::string& message);

}  // namespace keyref::addon
