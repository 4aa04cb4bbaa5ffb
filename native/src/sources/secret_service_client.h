#pragma once
// A direct conversation with the Secret Service (org.freedesktop.secrets)
// over libdbus, for the keyring source's reads: one private D-Bus
// connection and one encrypted session, opened on first use and kept, then
// SearchItems + GetSecrets per lookup, each one blocking round trip on the
// calling thread. libsecret's synchronous calls make the same two round
// trips but run each on a private GMainContext and hand the reply between
// threads twice; docs/performance.md has the figures.
//
// The session uses the algorithm libsecret and keyring-rs use,
// dh-ietf1024-sha256-aes128-cbc-pkcs7 (the Secret Service spec's
// "Transfer of Secrets"), so the message buffers libdbus frees without
// wiping hold ciphertext only; the value is decrypted straight into a
// SecretValue and the session key lives in one too (docs/threat-model.md).
//
// A daemon restart is survived: calls go to the unique bus name that
// answered OpenSession, so a call to a daemon that is gone fails at once
// (ServiceUnknown) instead of reaching a new daemon with a dead session;
// the client then opens a new session and retries the call once.
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "keyref/error.h"
#include "keyref/secret_value.h"
#include "sources/dbus_api.h"

namespace keyref::sources {

class SecretServiceClient {
 public:
  using Attributes = std::vector<std::pair<std::string, std::string>>;

  /// `timeout` bounds each call (its D-Bus round trips together).
  SecretServiceClient(const DBusApi* api, std::chrono::milliseconds timeout);
  ~SecretServiceClient();
  SecretServiceClient(const SecretServiceClient&) = delete;
  SecretServiceClient& operator=(const SecretServiceClient&) = delete;

  struct ItemPaths {
    std::vector<std::string> unlocked, locked;
  };

  /// Service.SearchItems: the items whose attributes include `attributes`.
  Result<ItemPaths> Search(const Attributes& attributes);

  /// Service.GetSecrets for one item, decrypted. SECRET_NOT_FOUND when the
  /// item is gone (deleted since the search), SOURCE_LOCKED when locked.
  /// *generation (if given) is Generation() as of the reply.
  Result<SecretValue> GetSecret(const std::string& item,
                                std::uint64_t* generation = nullptr);

  /// A counter that moves whenever the daemon announced a change (any
  /// signal it sent: an item or collection created, changed, deleted,
  /// locked) or the session was opened anew. The daemon sends such a
  /// signal before its reply to any later call, so a reply read while the
  /// counter stayed put saw no change since the counter was read: what
  /// lets the keyring source reuse an item path found by an earlier search
  /// (docs/performance.md, "Cold keyring check").
  std::uint64_t Generation();

  /// The item's Modified property (seconds since the epoch).
  Result<std::uint64_t> Modified(const std::string& item);

  /// Service.ReadAlias("default"): the default collection's path, or ""
  /// when there is none yet (creating one needs a prompt: libsecret's).
  Result<std::string> DefaultCollection();

  /// Collection.CreateItem with `replace`, the value encrypted for the
  /// session. SOURCE_LOCKED when the daemon asks for a prompt (a locked
  /// collection): prompts cannot be answered headless. INTERNAL, nothing
  /// sent, when the value cannot be encrypted: never an empty or plain
  /// secret in its place.
  Status CreateItem(const std::string& collection, const std::string& label,
                    const Attributes& attributes, const SecretValue& value);

  /// Test seam (a C++ API, no binding to JS): every later encryption of a
  /// value for CreateItem fails, as an OpenSSL failure would.
  void FailEncryptionForTesting() { fail_encryption_for_testing_ = true; }

  /// Item.Delete. SOURCE_LOCKED when the daemon asks for a prompt.
  Status DeleteItem(const std::string& item);

  /// Whether the D-Bus error name means the conversation's peer is gone
  /// (the daemon exited or restarted), so a new session may succeed.
  static bool PeerGone(const std::string& dbus_error_name);

 private:
  using Deadline = std::chrono::steady_clock::time_point;

  // Connects and opens the session (caller holds mu_).
  Status Open(Deadline deadline);
  // Drops the connection and the session; the next call opens new ones.
  void Reset() noexcept;
  // One method call on the daemon: `build` appends the arguments, `parse`
  // reads the reply. Opens the session first if needed, and retries once
  // on a new session if the daemon that held the old one is gone.
  template <typename Build, typename Parse>
  Status Call(const char* path, const char* iface, const char* method,
              const Build& build, const Parse& parse);
  // Frees what arrived besides our replies (NameAcquired, late replies).
  void Drain() noexcept;

  const DBusApi* api_;
  std::chrono::milliseconds timeout_;
  std::mutex mu_;  // one call at a time: the daemon answers serially anyway
  DBusConnection* conn_ = nullptr;
  std::string peer_;         // unique bus name of the daemon (":1.7")
  std::string session_;      // object path of our session
  SecretValue session_key_;  // AES-128 key (16 bytes)
  std::uint64_t generation_ = 0;
  bool fail_encryption_for_testing_ = false;
};

}  // namespace keyref::sources
