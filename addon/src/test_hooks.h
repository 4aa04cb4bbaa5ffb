// Test hooks: methods that exist only in the test build of the addon
// (build/Release/keyref_test_hooks.node, built with KEYREF_TEST_HOOKS
// defined; binding.gyp, scripts/build-addon.js --test-hooks). The shipped
// addon (keyref.node) is compiled without them, so no environment variable
// or option can switch them on (docs/threat-model.md, "Export gate, log
// file, test hooks").
#pragma once

#include <napi.h>

namespace keyref::addon {

// True in the test build.
bool HasTestHooks();

// Adds the test hooks to NativeSidecar.prototype (test build); does nothing
// in the shipped build.
void InstallTestHooks(Napi::Env env, Napi::Function sidecar_ctor);

}  // namespace keyref::addon
