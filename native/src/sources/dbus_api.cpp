// Loads libdbus-1 at run time (dbus_api.h).
#include "sources/dbus_api.h"

#include <dlfcn.h>

#include <mutex>

namespace keyref::sources {
namespace {

#define KEYREF_DBUS_API_FUNCTIONS(X)           \
  X(dbus_threads_init_default)                 \
  X(dbus_error_init)                           \
  X(dbus_error_free)                           \
  X(dbus_bus_get_private)                      \
  X(dbus_bus_add_match)                        \
  X(dbus_connection_set_exit_on_disconnect)    \
  X(dbus_connection_close)                     \
  X(dbus_connection_unref)                     \
  X(dbus_connection_get_is_connected)          \
  X(dbus_connection_send_with_reply_and_block) \
  X(dbus_connection_pop_message)               \
  X(dbus_message_new_method_call)              \
  X(dbus_message_unref)                        \
  X(dbus_message_get_sender)                   \
  X(dbus_message_iter_init_append)             \
  X(dbus_message_iter_append_basic)            \
  X(dbus_message_iter_append_fixed_array)      \
  X(dbus_message_iter_open_container)          \
  X(dbus_message_iter_close_container)         \
  X(dbus_message_iter_init)                    \
  X(dbus_message_iter_get_arg_type)            \
  X(dbus_message_iter_get_element_type)        \
  X(dbus_message_iter_get_basic)               \
  X(dbus_message_iter_get_fixed_array)         \
  X(dbus_message_iter_recurse)                 \
  X(dbus_message_iter_next)

bool Load(const char* soname, DBusApi* api, std::string* error) {
  // RTLD_NODELETE: libdbus keeps process-wide state (its thread
  // primitives, shared connections of other users); never unload it.
  void* handle = dlopen(soname, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
  if (!handle) {
    const char* why = dlerror();
    *error = why ? why : "dlopen failed";
    return false;
  }
#define KEYREF_DBUS_API_RESOLVE(name)                                      \
  api->name = reinterpret_cast<decltype(api->name)>(dlsym(handle, #name)); \
  if (!api->name) {                                                        \
    *error = std::string(soname) + " has no function " #name;              \
    return false;                                                          \
  }
  KEYREF_DBUS_API_FUNCTIONS(KEYREF_DBUS_API_RESOLVE)
#undef KEYREF_DBUS_API_RESOLVE
  // Connections are used from the worker threads (serialised by the
  // client, but not always the same thread); libdbus needs its locks on.
  api->dbus_threads_init_default();
  return true;
}

}  // namespace

const DBusApi* GetDBusApi(std::string* error) {
  static std::mutex mu;
  static DBusApi api;
  static bool loaded = false;
  std::lock_guard<std::mutex> lock(mu);
  if (!loaded) {
    DBusApi fresh{};
    if (!Load("libdbus-1.so.3", &fresh, error)) return nullptr;
    api = fresh;
    loaded = true;
  }
  return &api;
}

const DBusApi* LoadDBusApiForTesting(const char* soname, std::string* error) {
  auto* api = new DBusApi{};  // leaked on purpose, like the library
  if (!Load(soname, api, error)) {
    delete api;
    return nullptr;
  }
  return api;
}

}  // namespace keyref::sources
