// Module entry point. Binding code only: every rule lives in native/.
#include <napi.h>

#include "addon_data.h"
#include "catalog_binding.h"
#include "lock_binding.h"
#include "ref_binding.h"
#include "shape_binding.h"
#include "sidecar.h"

namespace keyref::addon {
namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  // Freed by Node when this environment shuts down (worker exit, reload).
  env.SetInstanceData<AddonData>(new AddonData());
  InitCatalogBinding(env, exports);
  InitRefBinding(env, exports);
  InitShapeBinding(env, exports);
  InitLockBinding(env, exports);
  Sidecar::Init(env, exports);
  InitOriginBinding(env, exports);
  return exports;
}

}  // namespace
}  // namespace keyref::addon

// NODE_API_MODULE needs an unqualified name at global scope.
static Napi::Object InitKeyref(Napi::Env env, Napi::Object exports) {
  return keyref::addon::Init(env, exports);
}
NODE_API_MODULE(keyref, InitKeyref)
