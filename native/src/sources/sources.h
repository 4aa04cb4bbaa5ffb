// The per-scheme constructors behind MakeSource (native/src/sources/
// source.cpp). Private to the core.
#pragma once

#include <memory>

#include "keyref/source.h"
#include "sources/secret_api.h"

namespace keyref::sources {

std::unique_ptr<SecretSource> MakeHostSource(const SourceConfig& config);
std::unique_ptr<SecretSource> MakeEnvSource(const SourceConfig& config);
/// Loads libsecret's function table (secret_api.h); tests pass one that
/// fails to stand for a host without libsecret.
using SecretApiLoader = const SecretApi* (*)(std::string* error);
std::unique_ptr<SecretSource> MakeKeyringSource(
    const SourceConfig& config, SecretApiLoader loader = GetSecretApi);
std::unique_ptr<SecretSource> MakeOpSource(const SourceConfig& config);
std::unique_ptr<SecretSource> MakePassSource(const SourceConfig& config);
std::unique_ptr<SecretSource> MakeFileSource(const SourceConfig& config);

// "SCHEME source is read-only" for Store/Delete on env, op and pass.
Error ReadOnlyError(Scheme scheme);

}  // namespace keyref::sources
