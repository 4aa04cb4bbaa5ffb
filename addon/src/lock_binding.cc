#include "lock_binding.h"

#include "errors.h"
#include "keyref/file_lock.h"

namespace keyref::addon {
namespace {

int FdArg(const Napi::CallbackInfo& info, const char* usage) {
  if (info.Length() < 1 || !info[0].IsNumber()) {
    throw MakeArgError(info.Env(), false, "ERR_INVALID_ARG_TYPE", usage);
  }
  return info[0].As<Napi::Number>().Int32Value();
}

// tryLock(fd: number): boolean. Non-blocking (LOCK_NB), so it is safe on the
// JS thread; the caller retries with a timer, bounded in time.
Napi::Value TryLockJs(const Napi::CallbackInfo& info) {
  Result<bool> r = TryLockExclusive(FdArg(info, "tryLock(fd: number)"));
  if (!r) throw MakeError(info.Env(), r.error());
  return Napi::Boolean::New(info.Env(), r.value());
}

// unlock(fd: number): undefined
Napi::Value UnlockJs(const Napi::CallbackInfo& info) {
  UnlockFile(FdArg(info, "unlock(fd: number)"));
  return info.Env().Undefined();
}

}  // namespace

void InitLockBinding(Napi::Env env, Napi::Object exports) {
  exports.Set("tryLock", Napi::Function::New(env, TryLockJs, "tryLock"));
  exports.Set("unlock", Napi::Function::New(env, UnlockJs, "unlock"));
}

}  // namespace keyref::addon
