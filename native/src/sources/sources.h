// The per-scheme constructors behind MakeSource (native/src/sources/
// source.cpp). Private to the core.
#pragma once

#include <memory>

#include "keyref/source.h"
#include "sources/dbus_api.h"
#include "sources/secret_api.h"

namespace keyref::sources {

std::unique_ptr<SecretSource> MakeHostSource(const SourceConfig& config);
std::unique_ptr<SecretSource> MakeEnvSource(const SourceConfig& config);
/// Loads libsecret's function table (secret_api.h); tests pass one that
/// fails to stand for a host without libsecret.
using SecretApiLoader = const SecretApi* (*)(std::string* error);
/// Loads libdbus's (dbus_api.h) for the direct read path; one that fails
/// stands for a host without libdbus, where reads use libsecret.
using DBusApiLoader = const DBusApi* (*)(std::string* error);
std::unique_ptr<SecretSource> MakeKeyringSource(
    const SourceConfig& config, SecretApiLoader loader = GetSecretApi,
    DBusApiLoader dbus_loader = GetDBusApi);
std::unique_ptr<SecretSource> MakeOpSource(const SourceConfig& config);
std::unique_ptr<SecretSource> MakePassSource(const SourceConfig& config);
std::unique_ptr<SecretSource> MakeFileSource(const SourceConfig& config);

// "SCHEME source is read-only" for Store/Delete on env, op and pass.
Error ReadOnlyError(Scheme scheme);

// The environment a source reads: the config's, or (a source made without
// one, in a test) the process's as it is now.
std::shared_ptr<const ProcessEnv> EnvOf(const SourceConfig& config);

}  // namespace keyref::sources
