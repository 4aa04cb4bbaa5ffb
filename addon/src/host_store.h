// The host's secret store (`secretStorage`: VS Code's context.secrets or any
// object with get/store/delete) seen from the core as a HostSecretStore.
// Calls made on a worker thread are run on the JS thread through a
// thread-safe function; the worker waits for the returned promise up to the
// resolve timeout.
#pragma once

#include <napi.h>

#include <memory>

#include "keyref/source.h"

namespace keyref::addon {

class WorkPool;

// Wraps `store` (already checked by addon/ts/sidecar.ts to have get, store
// and delete functions). JS thread. Registers with `pool` so that teardown
// fails calls still waiting for JS.
std::shared_ptr<HostSecretStore> MakeJsHostStore(Napi::Env env,
                                                 Napi::Object store,
                                                 WorkPool& pool);

}  // namespace keyref::addon
