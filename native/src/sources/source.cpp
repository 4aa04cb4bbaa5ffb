#include "keyref/source.h"

#include "sources/sources.h"

namespace keyref {

namespace sources {

Error ReadOnlyError(Scheme scheme) {
  return Error(ErrorCode::kSourceDenied,
               std::string("The ") + SchemeName(scheme) +
                   ": source is read-only; keyref does not write to it.",
               "storeSecret and deleteSecret work for secret:, keyring: and "
               "file: refs. Change the value with the tool that owns it.");
}

std::shared_ptr<const ProcessEnv> EnvOf(const SourceConfig& config) {
  return config.env ? config.env : ProcessEnv::Capture();
}

}  // namespace sources

Status SecretSource::Store(const ParsedRef&, const SecretValue&) {
  return sources::ReadOnlyError(scheme());
}

Status SecretSource::Delete(const ParsedRef&) {
  return sources::ReadOnlyError(scheme());
}

std::unique_ptr<SecretSource> MakeSource(Scheme scheme,
                                         const SourceConfig& config) {
  switch (scheme) {
    case Scheme::kSecret:
      return sources::MakeHostSource(config);
    case Scheme::kEnv:
      return sources::MakeEnvSource(config);
    case Scheme::kKeyring:
      return sources::MakeKeyringSource(config);
    case Scheme::kOp:
      return sources::MakeOpSource(config);
    case Scheme::kPass:
      return sources::MakePassSource(config);
    case Scheme::kFile:
      return sources::MakeFileSource(config);
  }
  return nullptr;
}

std::string PlaintextFilePath(const std::string& configured,
                              const ProcessEnv& env) {
  if (!configured.empty()) return configured;
  const char* xdg = env.Get("XDG_CONFIG_HOME");
  if (xdg && xdg[0] == '/') return std::string(xdg) + "/keyref/secrets.json";
  const char* home = env.Get("HOME");
  return std::string(home ? home : "") + "/.config/keyref/secrets.json";
}

}  // namespace keyref
