// Loads libsecret at run time (secret_api.h).
#include "sources/secret_api.h"

#include <dlfcn.h>

#include <mutex>

namespace keyref::sources {
namespace {

// Fills a table from an open handle; false (and *error) if a symbol is
// missing, e.g. a libsecret older than 0.18.
bool Resolve(void* handle, SecretApi* api, std::string* error) {
#define KEYREF_SECRET_API_RESOLVE(name)                                    \
  api->name = reinterpret_cast<decltype(api->name)>(dlsym(handle, #name)); \
  if (!api->name) {                                                        \
    *error = std::string("libsecret-1.so.0 has no function " #name);       \
    return false;                                                          \
  }
  KEYREF_SECRET_API_FUNCTIONS(KEYREF_SECRET_API_RESOLVE)
#undef KEYREF_SECRET_API_RESOLVE
  return true;
}

bool Load(const char* soname, SecretApi* api, std::string* error) {
  // RTLD_NODELETE: kept resident even if a later dlclose came (secret_api.h).
  // RTLD_LOCAL: its symbols do not join the global namespace.
  void* handle = dlopen(soname, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
  if (!handle) {
    const char* why = dlerror();
    *error = why ? why : "dlopen failed";
    return false;
  }
  return Resolve(handle, api, error);
}

}  // namespace

const char kNoLibsecretHint[] =
    "keyring: refs need libsecret, which is not installed here. Install it "
    "(Debian/Ubuntu: libsecret-1-0; Fedora/RHEL/openSUSE/Arch/Alpine: "
    "libsecret), or use secret: refs (the editor's own secret store) or "
    "env: refs instead.";

const SecretApi* GetSecretApi(std::string* error) {
  // One table per process: the library is process-wide. Once loaded it is
  // never replaced, so callers may keep the pointer.
  static std::mutex mu;
  static SecretApi api;
  static bool loaded = false;
  std::lock_guard<std::mutex> lock(mu);
  if (!loaded) {
    SecretApi fresh;
    if (!Load("libsecret-1.so.0", &fresh, error)) return nullptr;
    api = fresh;
    loaded = true;
  }
  return &api;
}

const SecretApi* LoadSecretApiForTesting(const char* soname,
                                         std::string* error) {
  // Leaked on purpose: the library stays loaded for the process anyway.
  auto* api = new SecretApi;
  if (!Load(soname, api, error)) {
    delete api;
    return nullptr;
  }
  return api;
}

}  // namespace keyref::sources
