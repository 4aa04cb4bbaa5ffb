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
//
// Built with the raw Node-API: usable where a node-addon-api call must not
// throw (WorkPool Done functions, thread-safe function callbacks, while the
// environment may be terminating). nullptr when the environment refuses.
napi_value ErrorValue(napi_env env, const Error& error,
                      const Redactor* redactor = nullptr);

// The same Error as a Napi::Error, to throw from a method called by JS.
Napi::Error MakeError(Napi::Env env, const Error& error,
                      const Redactor* redactor = nullptr);

// A TypeError / RangeError with a Node-style code (ERR_INVALID_ARG_TYPE …),
// for arguments the TypeScript layer should already have refused.
Napi::Error MakeArgError(Napi::Env env, bool range, const char* node_code,
                         const std::string& message);

}  // namespace keyref::addon
