// Shared glue of the Sidecar methods that run on the WorkPool
// (sidecar_secrets.cc, sidecar_origins.cc): reading a ref off a JS string,
// raw Node-API builders and promise settling. Promises are settled from the
// pool's thread-safe function, where the environment may be terminating
// (worker.terminate()); a failing raw call is a status, while a failing
// node-addon-api call would abort the process.
#pragma once

#include <napi.h>

#include <array>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "keyref/instance.h"
#include "keyref/secret_value.h"
#include "work_pool.h"

namespace keyref::addon {

inline constexpr std::size_t kMaxRefCopy = 4096;

// The ref as text, copied off the JS string into a stack buffer (no heap
// allocation on the cache-hit path). Inputs longer than 4 KiB are cut (they
// are refused as REF_TOO_LONG either way, like parseRef).
struct RefText {
  std::array<char, kMaxRefCopy + 1> buf;
  std::size_t len = 0;
  bool truncated = false;
  std::string_view text() const { return {buf.data(), len}; }
  // A refused ref may be a pasted key: wipe the copy.
  ~RefText() { SecureZero(buf.data(), len); }
};

// Copies a JS string ref into `r`, or throws ERR_INVALID_ARG_TYPE naming
// `method`.
void ReadRef(Napi::Env env, Napi::Value v, const char* method, RefText* r);

// Raw Node-API builders: they do nothing when the environment refuses.
void SetStr(napi_env env, napi_value obj, const char* key,
            std::string_view value);
void SetBool(napi_env env, napi_value obj, const char* key, bool value);

// An Error with .code and .hint, after the instance's redactor (nullptr when
// the environment refuses).
napi_value ErrorValue(napi_env env, const Instance* inst, const Error& e);

// Resolves or rejects `d` (undefined when `v` is null).
void Settle(napi_env env, napi_deferred d, bool resolve, napi_value v);

// A new promise and its deferred (JS thread).
napi_value NewPromise(napi_env env, napi_deferred* d);

Error ClosedError();
Error InternalError();

// The per-environment pool (made with the first Sidecar).
WorkPool& Pool(Napi::Env env);

// Runs `work` on the pool and settles `d` with its Status (undefined or a
// rejection).
void SubmitStatus(Napi::Env env, std::shared_ptr<Instance> inst,
                  napi_deferred d, std::function<Status()> work);

// The shared start of writes (storeSecret, deleteSecret, bindOrigins): a
// closed instance or a refused ref settles the promise (and returns null);
// otherwise the parsed ref, shared with the worker.
std::shared_ptr<ParsedRef> ParseForWrite(Napi::Env env,
                                         const std::shared_ptr<Instance>& inst,
                                         napi_deferred d, const RefText& ref);

// An array of origin strings (undefined: none) as patterns; throws a
// RangeError ERR_INVALID_ARG_VALUE for one that does not parse (the TS layer
// refused it first).
std::vector<OriginPattern> OriginsFromJs(Napi::Env env, Napi::Value v);

}  // namespace keyref::addon
