// What the Sidecar methods of sidecar_secrets.cc and sidecar_origins.cc
// share: reading the ref argument, building result objects with the raw
// Node-API, and settling a promise with a Status from the WorkPool.
//
// Raw Node-API on purpose: these run in the pool's completion callback,
// where the environment may be terminating (worker.terminate()); a failing
// raw call is a status, a failing node-addon-api call would abort the
// process. JS errors are still made in one place only: ErrorValue
// (errors.cc).
#pragma once

#include <napi.h>

#include <array>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "keyref/error.h"
#include "keyref/instance.h"
#include "keyref/ref.h"

namespace keyref::addon {

inline constexpr std::size_t kMaxRefCopy = 4096;

// The ref argument, copied off the JS string into a stack buffer (no heap
// allocation on the cache-hit path). Inputs longer than 4 KiB are cut; they
// are refused as REF_TOO_LONG either way, like parseRef. A refused ref may
// be a pasted key: the copy is wiped on destruction.
struct RefText {
  std::array<char, kMaxRefCopy + 1> buf;
  std::size_t len = 0;
  bool truncated = false;
  std::string_view text() const { return {buf.data(), len}; }
  ~RefText();
};

// Reads info[i] into `r`; throws ERR_INVALID_ARG_TYPE "method(ref: string)"
// when it is not a string.
void ReadRef(Napi::Env env, Napi::Value v, const char* method, RefText* r);

// obj[key] = value; nothing when the environment refuses.
void SetStr(napi_env env, napi_value obj, const char* key,
            std::string_view value);
void SetBool(napi_env env, napi_value obj, const char* key, bool value);
void SetNum(napi_env env, napi_value obj, const char* key, double value);
void SetStrings(napi_env env, napi_value obj, const char* key,
                const std::vector<std::string>& list);

// obj.code, obj.message and obj.hint of a refusal carried as a value (not a
// rejection), scrubbed by the instance's redactor.
void SetErrorFields(napi_env env, napi_value obj, const Instance& inst,
                    const Error& e);

// INTERNAL: what a promise settles with when the pool could not run the job.
Error InternalError();

// The WorkPool's "could not run" callback: rejects `d` with INTERNAL.
std::function<void(napi_env)> RejectInternal(std::shared_ptr<Instance> inst,
                                             napi_deferred d);

// Rejects `d` with the one "closed" error when the Sidecar is closed; true
// then, and the caller returns the promise.
bool RejectIfClosed(napi_env env, const Instance& inst, napi_deferred d);

// Parses `ref` for a write (store, delete, bind). On failure (a closed
// Sidecar, a refused ref) rejects `d` and returns nullptr.
std::shared_ptr<ParsedRef> ParseOrReject(Napi::Env env,
                                         const std::shared_ptr<Instance>& inst,
                                         napi_deferred d, const RefText& ref);

// Runs `work` on the pool and settles `d` with its Status (undefined or a
// rejection).
void SubmitStatus(Napi::Env env, std::shared_ptr<Instance> inst,
                  napi_deferred d, std::function<Status()> work);

}  // namespace keyref::addon
