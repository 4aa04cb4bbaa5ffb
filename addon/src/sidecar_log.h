// Logging options of `new Sidecar(...)`: the host callback (through a
// thread-safe function), stderr, the rotating file, the level.
#pragma once

#include <napi.h>

#include "keyref/instance.h"

namespace keyref::addon {

// Reads options.log / logLevel / logFilePath / logFileMaxBytes /
// logFileMaxFiles / logStderr (already validated by addon/ts/sidecar.ts) and
// sets up the instance's logger. Throws a JS Error (code INTERNAL) when the
// log file cannot be opened.
void ConfigureLogging(Napi::Env env, Instance& instance,
                      const Napi::Object& options);

}  // namespace keyref::addon
