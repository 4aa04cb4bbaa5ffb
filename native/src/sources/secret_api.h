#pragma once
// libsecret, loaded at run time. keyref links no part of libsecret, GLib or
// GObject: the addon must load on hosts without them (servers, containers,
// remote hosts), where only keyring: refs fail, with SOURCE_UNAVAILABLE and
// a hint naming the package. docs/building.md, docs/sources.md.
//
// The headers are used for types and prototypes only. Code that talks to
// libsecret calls through the table below, never a libsecret or GLib symbol
// directly, and avoids the GLib macros that expand to function calls
// (G_IO_ERROR, SECRET_SERVICE(), ...): those would be link-time
// references, which scripts/check-prebuild.sh refuses.
#define SECRET_API_SUBJECT_TO_CHANGE 1
#define SECRET_WITH_UNSTABLE 1
#include <libsecret/secret.h>

#include <string>

namespace keyref::sources {

/// The functions keyring_source.cpp uses, resolved with dlsym from
/// libsecret-1.so.0 (GLib's and GObject's through the same handle, as
/// libsecret's own dependencies).
struct SecretApi {
#define KEYREF_SECRET_API_FUNCTIONS(X)            \
  X(g_error_free)                                 \
  X(g_error_matches)                              \
  X(g_io_error_quark)                             \
  X(g_dbus_error_quark)                           \
  X(g_spawn_error_quark)                          \
  X(g_hash_table_new)                             \
  X(g_hash_table_insert)                          \
  X(g_hash_table_unref)                           \
  X(g_str_hash)                                   \
  X(g_str_equal)                                  \
  X(g_strv_length)                                \
  X(g_strfreev)                                   \
  X(g_list_free_full)                             \
  X(g_object_ref)                                 \
  X(g_object_unref)                               \
  X(g_dbus_proxy_set_default_timeout)             \
  X(secret_error_get_quark)                       \
  X(secret_service_get_sync)                      \
  X(secret_service_disconnect)                    \
  X(secret_service_search_for_dbus_paths_sync)    \
  X(secret_service_get_secret_for_dbus_path_sync) \
  X(secret_service_search_sync)                   \
  X(secret_service_store_sync)                    \
  X(secret_service_clear_sync)                    \
  X(secret_collection_for_alias_sync)             \
  X(secret_collection_get_locked)                 \
  X(secret_item_get_locked)                       \
  X(secret_item_get_modified)                     \
  X(secret_item_get_secret)                       \
  X(secret_value_new)                             \
  X(secret_value_get)                             \
  X(secret_value_unref)
#define KEYREF_SECRET_API_MEMBER(name) decltype(&::name) name = nullptr;
  KEYREF_SECRET_API_FUNCTIONS(KEYREF_SECRET_API_MEMBER)
#undef KEYREF_SECRET_API_MEMBER
};

/// The table for this process, loaded on first use and kept resident:
/// libsecret registers GObject types that cannot be unregistered, so the
/// library is opened RTLD_NODELETE and never closed. Returns null when
/// libsecret-1.so.0 (or one of the functions) cannot be loaded; *error then
/// says why (dlerror's text). A failed load is retried on the next call, so
/// installing the library does not need a restart.
const SecretApi* GetSecretApi(std::string* error);

/// The same from another library name, for tests: a name that does not
/// exist stands for a host without libsecret.
const SecretApi* LoadSecretApiForTesting(const char* soname,
                                         std::string* error);

/// The hint for a host without libsecret: which package to install.
extern const char kNoLibsecretHint[];

}  // namespace keyref::sources
