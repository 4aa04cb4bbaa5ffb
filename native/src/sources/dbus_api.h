#pragma once
// libdbus-1, loaded at run time, for the keyring source's direct Secret
// Service conversation (secret_service_client.h). Like libsecret
// (secret_api.h) nothing of it is linked: the addon must load where it is
// missing, and then reads go through libsecret as before.
//
// libdbus's headers are not a build dependency: the few types used are
// declared here. Only pointers to libdbus's opaque objects cross the
// boundary, plus two caller-allocated structs whose public layout has not
// changed since libdbus 1.0 (the soname is still libdbus-1.so.3): DBusError
// starts with its name and message pointers, and DBusMessageIter is opaque
// storage, given here more room than any libdbus uses (dbus-message.h: 9
// words on 64-bit hosts, 16 where pointers are wider).
#include <cstdint>
#include <string>

namespace keyref::sources {

struct DBusConnection;
struct DBusMessage;

/// dbus-errors.h's DBusError: name and message, then private fields.
struct DBusError {
  const char* name;
  const char* message;
  void* reserved[4];  // libdbus's bit fields and padding (2 words)
};

/// dbus-message.h's DBusMessageIter: opaque, filled in by libdbus.
struct DBusMessageIter {
  void* storage[24];
};

/// dbus-shared.h's DBusBusType.
enum DBusBusType { kDBusBusSession = 0 };

/// D-Bus type codes (the signature characters).
enum DBusType : int {
  kDBusTypeInvalid = 0,
  kDBusTypeByte = 'y',
  kDBusTypeBoolean = 'b',
  kDBusTypeUint64 = 't',
  kDBusTypeString = 's',
  kDBusTypeObjectPath = 'o',
  kDBusTypeArray = 'a',
  kDBusTypeVariant = 'v',
  kDBusTypeStruct = 'r',
  kDBusTypeDictEntry = 'e',
};

/// The functions the Secret Service client uses, resolved with dlsym from
/// libdbus-1.so.3. Prototypes as in libdbus's headers (dbus_bool_t is a
/// 32-bit unsigned int).
struct DBusApi {
  using Bool = std::uint32_t;
  Bool (*dbus_threads_init_default)();
  void (*dbus_error_init)(DBusError*);
  void (*dbus_error_free)(DBusError*);
  DBusConnection* (*dbus_bus_get_private)(DBusBusType, DBusError*);
  void (*dbus_bus_add_match)(DBusConnection*, const char*, DBusError*);
  void (*dbus_connection_set_exit_on_disconnect)(DBusConnection*, Bool);
  void (*dbus_connection_close)(DBusConnection*);
  void (*dbus_connection_unref)(DBusConnection*);
  Bool (*dbus_connection_get_is_connected)(DBusConnection*);
  DBusMessage* (*dbus_connection_send_with_reply_and_block)(DBusConnection*,
                                                            DBusMessage*, int,
                                                            DBusError*);
  DBusMessage* (*dbus_connection_pop_message)(DBusConnection*);
  DBusMessage* (*dbus_message_new_method_call)(const char*, const char*,
                                               const char*, const char*);
  void (*dbus_message_unref)(DBusMessage*);
  const char* (*dbus_message_get_sender)(DBusMessage*);
  void (*dbus_message_iter_init_append)(DBusMessage*, DBusMessageIter*);
  Bool (*dbus_message_iter_append_basic)(DBusMessageIter*, int, const void*);
  Bool (*dbus_message_iter_append_fixed_array)(DBusMessageIter*, int,
                                               const void*, int);
  Bool (*dbus_message_iter_open_container)(DBusMessageIter*, int, const char*,
                                           DBusMessageIter*);
  Bool (*dbus_message_iter_close_container)(DBusMessageIter*, DBusMessageIter*);
  Bool (*dbus_message_iter_init)(DBusMessage*, DBusMessageIter*);
  int (*dbus_message_iter_get_arg_type)(DBusMessageIter*);
  int (*dbus_message_iter_get_element_type)(DBusMessageIter*);
  void (*dbus_message_iter_get_basic)(DBusMessageIter*, void*);
  void (*dbus_message_iter_get_fixed_array)(DBusMessageIter*, void*, int*);
  void (*dbus_message_iter_recurse)(DBusMessageIter*, DBusMessageIter*);
  Bool (*dbus_message_iter_next)(DBusMessageIter*);
};

/// The table for this process, loaded on first use and kept resident
/// (RTLD_NODELETE), or null when libdbus-1.so.3 cannot be loaded (*error
/// says why). A failed load is retried on the next call.
const DBusApi* GetDBusApi(std::string* error);

/// The same from another library name, for tests.
const DBusApi* LoadDBusApiForTesting(const char* soname, std::string* error);

}  // namespace keyref::sources
