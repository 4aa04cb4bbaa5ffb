// Per-environment state of the addon. The extension host may load the addon
// more than once and worker threads each get their own environment, so there
// are no globals: everything lives here and is freed by the cleanup hook
// that napi_set_instance_data registers.
#pragma once

#include <napi.h>

#include <cstdint>
#include <memory>

#include "work_pool.h"

namespace keyref::addon {

// The memory of dead large redact() results, kept for the next one
// (sidecar_redact.cc).
class ResultPool;
// redact()'s reused buffers (sidecar_redact.cc).
struct RedactScratch;

struct AddonData {
  // Scratch space that checkRef fills for the JS layer (ref_binding.cc).
  Napi::Reference<Napi::Int32Array> ref_out;
  std::int32_t* ref_out_data = nullptr;
  // Constructors of the classes this environment exports.
  Napi::FunctionReference sidecar_ctor;
  // Worker threads for blocking work; made with the first Sidecar.
  std::unique_ptr<WorkPool> pool;
  // Made with the first large redact() result; shared with the results that
  // will return their memory to it.
  std::shared_ptr<ResultPool> redact_results;
  // Made with the first Sidecar's redact function; every redact function
  // of this environment uses it.
  std::shared_ptr<RedactScratch> redact_scratch;
};

inline AddonData* GetData(Napi::Env env) {
  return env.GetInstanceData<AddonData>();
}

// The environment's WorkPool (made with the first Sidecar, so every Sidecar
// method may use it).
inline WorkPool& GetPool(Napi::Env env) { return *GetData(env)->pool; }

}  // namespace keyref::addon
