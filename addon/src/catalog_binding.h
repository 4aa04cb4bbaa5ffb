// `catalog`: the lists native code owns (schemes, error codes, providers,
// credential-name vocabularies), exported as frozen plain data so that the
// TypeScript layer builds its tables from them (addon/ts/catalog.ts) and
// test/node/catalog_drift.test.js can hold the schemas and docs to them.
#pragma once

#include <napi.h>

namespace keyref::addon {

void InitCatalogBinding(Napi::Env env, Napi::Object exports);

}  // namespace keyref::addon
