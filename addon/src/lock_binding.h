// tryLock(fd) / unlock(fd): the cross-process lock of the profile store
// (native/include/keyref/file_lock.h) for addon/ts/profiles.ts.
#pragma once

#include <napi.h>

namespace keyref::addon {

void InitLockBinding(Napi::Env env, Napi::Object exports);

}  // namespace keyref::addon
