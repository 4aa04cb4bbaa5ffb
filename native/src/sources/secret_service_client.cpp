// The direct Secret Service conversation (secret_service_client.h).
#include "sources/secret_service_client.h"

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <memory>
#include <type_traits>

namespace keyref::sources {
namespace {

constexpr char kBusName[] = "org.freedesktop.secrets";
constexpr char kServicePath[] = "/org/freedesktop/secrets";
constexpr char kServiceIface[] = "org.freedesktop.Secret.Service";
constexpr char kAlgorithm[] = "dh-ietf1024-sha256-aes128-cbc-pkcs7";
constexpr std::size_t kPrimeBytes = 128;  // RFC 2409's 1024-bit group
constexpr std::size_t kKeyBytes = 16;     // AES-128

// D-Bus error names (dbus-protocol.h, the Secret Service spec).
constexpr char kNoReply[] = "org.freedesktop.DBus.Error.NoReply";
constexpr char kLocked[] = "org.freedesktop.Secret.Error.IsLocked";
constexpr char kNoSuchObject[] = "org.freedesktop.Secret.Error.NoSuchObject";

struct BnFree {
  void operator()(BIGNUM* b) const { BN_clear_free(b); }
};
struct BnCtxFree {
  void operator()(BN_CTX* c) const { BN_CTX_free(c); }
};
struct CipherFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using Bn = std::unique_ptr<BIGNUM, BnFree>;

Error Unavailable(std::string what) {
  return Error(ErrorCode::kSourceUnavailable, std::move(what));
}

// Bytes wiped when they go out of scope: the DH shared secret, the HKDF
// key material, a decrypted value on its way into a SecretValue.
struct WipedBytes {
  explicit WipedBytes(std::size_t n) : bytes(n) {}
  ~WipedBytes() { SecureZero(bytes.data(), bytes.size()); }
  std::vector<unsigned char> bytes;
};

// HKDF-SHA256 (RFC 5869) with no salt and no info, 16 bytes out: the key
// derivation of the dh-ietf1024-sha256-aes128-cbc-pkcs7 algorithm.
bool Hkdf16(const WipedBytes& ikm, WipedBytes* okm) {
  unsigned char zero_salt[32] = {};
  WipedBytes prk(32);
  unsigned int n = 0;
  if (!HMAC(EVP_sha256(), zero_salt, sizeof zero_salt, ikm.bytes.data(),
            ikm.bytes.size(), prk.bytes.data(), &n) ||
      n != 32) {
    return false;
  }
  const unsigned char counter = 1;
  WipedBytes t1(32);
  if (!HMAC(EVP_sha256(), prk.bytes.data(), 32, &counter, 1, t1.bytes.data(),
            &n) ||
      n != 32) {
    return false;
  }
  std::copy_n(t1.bytes.begin(), kKeyBytes, okm->bytes.begin());
  return true;
}

// A reply's arguments, read in order.
class ArgReader {
 public:
  ArgReader(const DBusApi* api, DBusMessageIter* it) : api_(api), it_(it) {}
  int Type() const { return api_->dbus_message_iter_get_arg_type(it_); }
  bool Next() { return api_->dbus_message_iter_next(it_) != 0; }
  // Steps into the container at the cursor.
  ArgReader Enter(DBusMessageIter* sub) const {
    api_->dbus_message_iter_recurse(it_, sub);
    return ArgReader(api_, sub);
  }
  // An object path or string at the cursor.
  bool Str(std::string* out) const {
    if (Type() != kDBusTypeObjectPath && Type() != kDBusTypeString) {
      return false;
    }
    const char* s = nullptr;
    api_->dbus_message_iter_get_basic(it_, &s);
    out->assign(s ? s : "");
    return true;
  }
  // A byte array at the cursor (`ay`): points into the message.
  bool Bytes(const unsigned char** data, int* n) const {
    if (Type() != kDBusTypeArray ||
        api_->dbus_message_iter_get_element_type(it_) != kDBusTypeByte) {
      return false;
    }
    DBusMessageIter sub;
    api_->dbus_message_iter_recurse(it_, &sub);
    *data = nullptr;
    *n = 0;
    api_->dbus_message_iter_get_fixed_array(&sub, data, n);
    return true;
  }
  // An array of object paths at the cursor (`ao`).
  bool Paths(std::vector<std::string>* out) const {
    if (Type() != kDBusTypeArray) return false;
    DBusMessageIter sub;
    ArgReader r = Enter(&sub);
    for (std::string s; r.Type() == kDBusTypeObjectPath; r.Next()) {
      r.Str(&s);
      out->push_back(s);
    }
    return true;
  }

 private:
  const DBusApi* api_;
  DBusMessageIter* it_;
};

void AppendBytes(const DBusApi* api, DBusMessageIter* it,
                 const unsigned char* data, int n) {
  DBusMessageIter arr;
  api->dbus_message_iter_open_container(it, kDBusTypeArray, "y", &arr);
  api->dbus_message_iter_append_fixed_array(&arr, kDBusTypeByte, &data, n);
  api->dbus_message_iter_close_container(it, &arr);
}

void AppendStr(const DBusApi* api, DBusMessageIter* it, int type,
               const std::string& s) {
  const char* p = s.c_str();
  api->dbus_message_iter_append_basic(it, type, &p);
}

// a{ss}
void AppendAttributes(const DBusApi* api, DBusMessageIter* it,
                      const SecretServiceClient::Attributes& attributes) {
  DBusMessageIter dict, entry;
  api->dbus_message_iter_open_container(it, kDBusTypeArray, "{ss}", &dict);
  for (const auto& [k, v] : attributes) {
    api->dbus_message_iter_open_container(&dict, kDBusTypeDictEntry, nullptr,
                                          &entry);
    AppendStr(api, &entry, kDBusTypeString, k);
    AppendStr(api, &entry, kDBusTypeString, v);
    api->dbus_message_iter_close_container(&dict, &entry);
  }
  api->dbus_message_iter_close_container(it, &dict);
}

// One {sv} entry of a property dictionary; `fill` appends the value.
template <typename Fill>
void AppendProperty(const DBusApi* api, DBusMessageIter* dict, const char* name,
                    const char* signature, Fill fill) {
  DBusMessageIter entry, var;
  api->dbus_message_iter_open_container(dict, kDBusTypeDictEntry, nullptr,
                                        &entry);
  AppendStr(api, &entry, kDBusTypeString, name);
  api->dbus_message_iter_open_container(&entry, kDBusTypeVariant, signature,
                                        &var);
  fill(&var);
  api->dbus_message_iter_close_container(&entry, &var);
  api->dbus_message_iter_close_container(dict, &entry);
}

// Runs a Call's `build`, which either cannot fail (returns void) or may
// refuse before it appends anything (returns Status: CreateItem, when the
// value cannot be encrypted).
template <typename Build>
Status RunBuild(const Build& build, DBusMessageIter* it) {
  if constexpr (std::is_void_v<
                    std::invoke_result_t<const Build&, DBusMessageIter*>>) {
    build(it);
    return {};
  } else {
    return build(it);
  }
}

// A method's `(o item?, o prompt)` reply: "/" as the prompt means done.
Status NoPrompt(const std::string& prompt) {
  if (prompt == "/") return {};
  return Error(ErrorCode::kSourceLocked, "The keyring asked for a prompt.");
}

}  // namespace

SecretServiceClient::SecretServiceClient(const DBusApi* api,
                                         std::chrono::milliseconds timeout)
    : api_(api), timeout_(timeout) {}

SecretServiceClient::~SecretServiceClient() { Reset(); }

bool SecretServiceClient::PeerGone(const std::string& name) {
  // The unique name we talk to has left the bus (the daemon exited or was
  // restarted), the bus itself is gone, or the daemon forgot our session.
  return name == "org.freedesktop.DBus.Error.ServiceUnknown" ||
         name == "org.freedesktop.DBus.Error.NameHasNoOwner" ||
         name == "org.freedesktop.DBus.Error.Disconnected" ||
         name == "org.freedesktop.DBus.Error.UnknownObject" ||
         name == "org.freedesktop.Secret.Error.NoSession";
}

void SecretServiceClient::Reset() noexcept {
  if (conn_) {
    // A private connection: closed by its owner, then released.
    api_->dbus_connection_close(conn_);
    api_->dbus_connection_unref(conn_);
    conn_ = nullptr;
  }
  peer_.clear();
  session_.clear();
  session_key_.Wipe();
  ++generation_;
}

void SecretServiceClient::Drain() noexcept {
  // Nothing is dispatched on this connection, so whatever else arrives
  // (the bus's NameAcquired, a reply that came after its call timed out)
  // would queue up for ever.
  // Each is also taken as a change (Generation): the daemon's signals are
  // the only other messages that reach this connection.
  while (DBusMessage* m = api_->dbus_connection_pop_message(conn_)) {
    api_->dbus_message_unref(m);
    ++generation_;
  }
}

std::uint64_t SecretServiceClient::Generation() {
  std::lock_guard<std::mutex> lock(mu_);
  return generation_;
}

namespace {

int RemainingMs(std::chrono::steady_clock::time_point deadline) {
  auto left = std::chrono::ceil<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  return static_cast<int>(std::clamp<long long>(left.count(), 1, 1 << 30));
}

// Whether a call that failed has used up its time. libdbus ends a blocked
// call's wait by its own millisecond clock and truncates what has elapsed,
// so its NoReply for a timeout may come up to 2 ms before our deadline; at
// that moment the call is not "answered early by a daemon that left" (as a
// NoReply well before the deadline is) but timed out. Under load this was
// seen: a frozen daemon reported as "no Secret Service is reachable".
bool OutOfTime(std::chrono::steady_clock::time_point deadline) {
  constexpr auto kClockSlack = std::chrono::milliseconds(5);
  return std::chrono::steady_clock::now() + kClockSlack >= deadline;
}

// What a failed call means for the caller: a code, and a message naming
// the D-Bus error (never a value: D-Bus errors carry none of ours).
Error FromDBus(const std::string& name, bool timed_out) {
  if (name == kNoReply && timed_out) {
    return Error(ErrorCode::kSourceTimeout,
                 "The Secret Service did not answer in time.");
  }
  if (name == "org.freedesktop.DBus.Error.Timeout" ||
      name == "org.freedesktop.DBus.Error.TimedOut") {
    return Error(ErrorCode::kSourceTimeout,
                 "The Secret Service did not answer in time.");
  }
  if (name == kLocked) {
    return Error(ErrorCode::kSourceLocked, "The keyring is locked.");
  }
  if (name == kNoSuchObject) {
    return Error(ErrorCode::kSecretNotFound, "The keyring entry is gone.");
  }
  return Unavailable("The Secret Service failed (" + name + ").");
}

}  // namespace

Status SecretServiceClient::Open(Deadline deadline) {
  Reset();
  DBusError err;
  api_->dbus_error_init(&err);
  conn_ = api_->dbus_bus_get_private(kDBusBusSession, &err);
  if (!conn_) {
    std::string name = err.name ? err.name : "";
    api_->dbus_error_free(&err);
    return Unavailable("No D-Bus session bus is reachable (" + name + ").");
  }
  // libdbus's default for a bus connection is to _exit() the process when
  // the bus goes away: never in an editor's extension host.
  api_->dbus_connection_set_exit_on_disconnect(conn_, 0);

  // Our half of the Diffie-Hellman exchange over RFC 2409's 1024-bit group
  // (generator 2), as the Secret Service spec names it.
  std::unique_ptr<BN_CTX, BnCtxFree> ctx(BN_CTX_new());
  Bn prime(BN_get_rfc2409_prime_1024(nullptr));
  Bn gen(BN_new()), priv(BN_secure_new()), pub(BN_new());
  if (!ctx || !prime || !gen || !priv || !pub || !BN_set_word(gen.get(), 2) ||
      !BN_priv_rand(priv.get(), 1024, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY)) {
    return Unavailable("The keyring session could not be set up (OpenSSL).");
  }
  BN_set_flags(priv.get(), BN_FLG_CONSTTIME);
  if (!BN_mod_exp(pub.get(), gen.get(), priv.get(), prime.get(), ctx.get())) {
    return Unavailable("The keyring session could not be set up (OpenSSL).");
  }
  std::vector<unsigned char> pub_bytes(BN_num_bytes(pub.get()));
  BN_bn2bin(pub.get(), pub_bytes.data());

  DBusMessage* msg = api_->dbus_message_new_method_call(
      kBusName, kServicePath, kServiceIface, "OpenSession");
  if (!msg) return Unavailable("Out of memory.");
  DBusMessageIter it, var;
  api_->dbus_message_iter_init_append(msg, &it);
  AppendStr(api_, &it, kDBusTypeString, kAlgorithm);
  api_->dbus_message_iter_open_container(&it, kDBusTypeVariant, "ay", &var);
  AppendBytes(api_, &var, pub_bytes.data(), static_cast<int>(pub_bytes.size()));
  api_->dbus_message_iter_close_container(&it, &var);
  DBusMessage* reply = api_->dbus_connection_send_with_reply_and_block(
      conn_, msg, RemainingMs(deadline), &err);
  api_->dbus_message_unref(msg);
  if (!reply) {
    std::string name = err.name ? err.name : "";
    api_->dbus_error_free(&err);
    Error e = FromDBus(name, OutOfTime(deadline));
    Reset();
    if (e.code == ErrorCode::kSourceUnavailable) {
      e.message = "No Secret Service is reachable (" + name + ").";
    }
    return e;
  }
  // (v output, o result): the daemon's public value, our session's path.
  DBusMessageIter rit, vit;
  const unsigned char* peer_pub = nullptr;
  int peer_len = 0;
  bool ok = api_->dbus_message_iter_init(reply, &rit) != 0;
  ArgReader r(api_, &rit);
  ok = ok && r.Type() == kDBusTypeVariant;
  if (ok) ok = r.Enter(&vit).Bytes(&peer_pub, &peer_len) && r.Next();
  ok = ok && r.Str(&session_);
  const char* sender = api_->dbus_message_get_sender(reply);
  peer_ = sender ? sender : "";
  Bn peer(ok ? BN_bin2bn(peer_pub, peer_len, nullptr) : nullptr);
  api_->dbus_message_unref(reply);
  Drain();
  // The daemon's value must be in [2, p-2] (a value of 0, 1 or p-1 would
  // force the shared secret).
  Bn limit(BN_dup(prime.get()));
  ok = ok && peer && limit && !peer_.empty() && BN_sub_word(limit.get(), 1) &&
       BN_cmp(peer.get(), BN_value_one()) > 0 &&
       BN_cmp(peer.get(), limit.get()) < 0;
  Bn shared(BN_new());
  WipedBytes ikm(kPrimeBytes), key(kKeyBytes);
  ok = ok && shared &&
       BN_mod_exp(shared.get(), peer.get(), priv.get(), prime.get(),
                  ctx.get()) &&
       // Padded to the prime's length, as libsecret and the daemon do.
       BN_bn2binpad(shared.get(), ikm.bytes.data(), kPrimeBytes) ==
           static_cast<int>(kPrimeBytes) &&
       Hkdf16(ikm, &key);
  if (!ok) {
    Reset();
    return Unavailable("The Secret Service's session reply was malformed.");
  }
  // Every signal the daemon sends from now on reaches us (Generation).
  const std::string rule = "type='signal',sender='" + peer_ + "'";
  api_->dbus_bus_add_match(conn_, rule.c_str(), &err);
  if (err.name) {
    api_->dbus_error_free(&err);
    Reset();
    return Unavailable("No Secret Service is reachable (AddMatch failed).");
  }
  session_key_ = SecretValue::FromBytes(
      reinterpret_cast<const char*>(key.bytes.data()), kKeyBytes);
  return {};
}

template <typename Build, typename Parse>
Status SecretServiceClient::Call(const char* path, const char* iface,
                                 const char* method, const Build& build,
                                 const Parse& parse) {
  const Deadline deadline = std::chrono::steady_clock::now() + timeout_;
  for (int attempt = 0;; ++attempt) {
    const bool fresh = session_.empty();
    if (fresh) {
      if (Status st = Open(deadline); !st) return st;
    }
    DBusMessage* msg =
        api_->dbus_message_new_method_call(peer_.c_str(), path, iface, method);
    if (!msg) return Unavailable("Out of memory.");
    DBusMessageIter it;
    api_->dbus_message_iter_init_append(msg, &it);
    if (Status st = RunBuild(build, &it); !st) {
      // Refused before anything was appended: the message is dropped
      // unsent, and the session stays good.
      api_->dbus_message_unref(msg);
      return st;
    }
    DBusError err;
    api_->dbus_error_init(&err);
    DBusMessage* reply = api_->dbus_connection_send_with_reply_and_block(
        conn_, msg, RemainingMs(deadline), &err);
    api_->dbus_message_unref(msg);
    if (reply) {
      DBusMessageIter rit;
      Status st = api_->dbus_message_iter_init(reply, &rit)
                      ? parse(ArgReader(api_, &rit))
                      : Status(Unavailable("The Secret Service's reply was "
                                           "empty."));
      api_->dbus_message_unref(reply);
      Drain();
      return st;
    }
    std::string name = err.name ? err.name : "";
    api_->dbus_error_free(&err);
    const bool timed_out = OutOfTime(deadline);
    Error e = FromDBus(name, timed_out);
    // A NoReply before the deadline: the daemon left the bus while it held
    // our call (killed mid-lookup).
    const bool gone = PeerGone(name) || (name == kNoReply && !timed_out);
    if (gone || e.code == ErrorCode::kSourceTimeout ||
        e.code == ErrorCode::kSourceUnavailable) {
      // A frozen daemon may answer later, a dead one never: either way the
      // session is not trusted again.
      Reset();
    } else {
      Drain();
    }
    if (gone && !fresh && attempt == 0 && !timed_out) continue;
    return e;
  }
}

Result<SecretServiceClient::ItemPaths> SecretServiceClient::Search(
    const Attributes& attributes) {
  std::lock_guard<std::mutex> lock(mu_);
  ItemPaths out;
  Status st = Call(
      kServicePath, kServiceIface, "SearchItems",
      [&](DBusMessageIter* it) { AppendAttributes(api_, it, attributes); },
      [&](ArgReader r) -> Status {
        if (r.Paths(&out.unlocked) && r.Next() && r.Paths(&out.locked)) {
          return {};
        }
        return Unavailable("The Secret Service's search reply was malformed.");
      });
  if (!st) return std::move(st).error();
  return out;
}

Result<SecretValue> SecretServiceClient::GetSecret(const std::string& item,
                                                   std::uint64_t* generation) {
  std::lock_guard<std::mutex> lock(mu_);
  SecretValue value;
  bool found = false;
  Status st = Call(
      kServicePath, kServiceIface, "GetSecrets",
      [&](DBusMessageIter* it) {
        DBusMessageIter arr;
        api_->dbus_message_iter_open_container(it, kDBusTypeArray, "o", &arr);
        AppendStr(api_, &arr, kDBusTypeObjectPath, item);
        api_->dbus_message_iter_close_container(it, &arr);
        AppendStr(api_, it, kDBusTypeObjectPath, session_);
      },
      [&](ArgReader r) -> Status {
        // a{o(oayays)}: item -> (session, parameters, value, content type).
        const Error malformed =
            Unavailable("The Secret Service's secret reply was malformed.");
        if (r.Type() != kDBusTypeArray) return malformed;
        DBusMessageIter dit, eit, sit;
        ArgReader dict = r.Enter(&dit);
        if (dict.Type() != kDBusTypeDictEntry) return {};  // item gone
        ArgReader entry = dict.Enter(&eit);
        if (!entry.Next() || entry.Type() != kDBusTypeStruct) return malformed;
        ArgReader s = entry.Enter(&sit);
        const unsigned char *iv = nullptr, *ct = nullptr;
        int iv_len = 0, ct_len = 0;
        if (!s.Next() || !s.Bytes(&iv, &iv_len) || !s.Next() ||
            !s.Bytes(&ct, &ct_len) || iv_len != 16 || ct_len <= 0 ||
            ct_len % 16 != 0) {
          return malformed;
        }
        // AES-128-CBC with PKCS#7 padding, straight into wiped memory.
        std::unique_ptr<EVP_CIPHER_CTX, CipherFree> c(EVP_CIPHER_CTX_new());
        WipedBytes plain(static_cast<std::size_t>(ct_len) + 16);
        int n1 = 0, n2 = 0;
        const auto* key = reinterpret_cast<const unsigned char*>(
            session_key_.Reveal().data());
        if (!c ||
            !EVP_DecryptInit_ex(c.get(), EVP_aes_128_cbc(), nullptr, key, iv) ||
            !EVP_DecryptUpdate(c.get(), plain.bytes.data(), &n1, ct, ct_len) ||
            !EVP_DecryptFinal_ex(c.get(), plain.bytes.data() + n1, &n2)) {
          return Unavailable(
              "The Secret Service's secret could not be "
              "decrypted.");
        }
        value = SecretValue::FromBytes(
            reinterpret_cast<const char*>(plain.bytes.data()),
            static_cast<std::size_t>(n1 + n2));
        found = true;
        return {};
      });
  if (generation) *generation = generation_;
  if (!st) return std::move(st).error();
  if (!found) {
    return Error(ErrorCode::kSecretNotFound, "The keyring entry is gone.");
  }
  return value;
}

Result<std::uint64_t> SecretServiceClient::Modified(const std::string& item) {
  std::lock_guard<std::mutex> lock(mu_);
  std::uint64_t modified = 0;
  Status st = Call(
      item.c_str(), "org.freedesktop.DBus.Properties", "Get",
      [&](DBusMessageIter* it) {
        AppendStr(api_, it, kDBusTypeString, "org.freedesktop.Secret.Item");
        AppendStr(api_, it, kDBusTypeString, "Modified");
      },
      [&](ArgReader r) -> Status {
        DBusMessageIter vit;
        if (r.Type() == kDBusTypeVariant) {
          ArgReader v = r.Enter(&vit);
          if (v.Type() == kDBusTypeUint64) {
            api_->dbus_message_iter_get_basic(&vit, &modified);
            return {};
          }
        }
        return Unavailable(
            "The Secret Service's property reply was "
            "malformed.");
      });
  if (!st) return std::move(st).error();
  return modified;
}

Result<std::string> SecretServiceClient::DefaultCollection() {
  std::lock_guard<std::mutex> lock(mu_);
  std::string path;
  Status st = Call(
      kServicePath, kServiceIface, "ReadAlias",
      [&](DBusMessageIter* it) {
        AppendStr(api_, it, kDBusTypeString, "default");
      },
      [&](ArgReader r) -> Status {
        if (r.Str(&path)) return {};
        return Unavailable("The Secret Service's alias reply was malformed.");
      });
  if (!st) return std::move(st).error();
  return path == "/" ? std::string() : path;
}

Status SecretServiceClient::CreateItem(const std::string& collection,
                                       const std::string& label,
                                       const Attributes& attributes,
                                       const SecretValue& value) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string prompt;
  Status st = Call(
      collection.c_str(), "org.freedesktop.Secret.Collection", "CreateItem",
      [&](DBusMessageIter* it) -> Status {
        // (o session, ay iv, ay ciphertext, s content type): the value is
        // encrypted for the session (AES-128-CBC, PKCS#7), so the message
        // libdbus builds and frees holds no plaintext. Encrypted first, for
        // the session this attempt uses (a retry opens a new one): when that
        // fails nothing is sent, since an empty secret with replace set
        // would leave the daemon to refuse it, or to store it over the key.
        unsigned char iv[16];
        std::vector<unsigned char> ct(value.size() + 16);
        int n1 = 0, n2 = 0;
        std::unique_ptr<EVP_CIPHER_CTX, CipherFree> c(EVP_CIPHER_CTX_new());
        const auto* key = reinterpret_cast<const unsigned char*>(
            session_key_.Reveal().data());
        const auto* plain =
            reinterpret_cast<const unsigned char*>(value.Reveal().data());
        const bool ok =
            !fail_encryption_for_testing_ && c && session_key_.size() == 16 &&
            RAND_bytes(iv, sizeof iv) == 1 &&
            EVP_EncryptInit_ex(c.get(), EVP_aes_128_cbc(), nullptr, key, iv) &&
            EVP_EncryptUpdate(c.get(), ct.data(), &n1, plain,
                              static_cast<int>(value.size())) &&
            EVP_EncryptFinal_ex(c.get(), ct.data() + n1, &n2);
        if (!ok || n1 + n2 <= 0) {
          return Error(ErrorCode::kInternal,
                       "The key could not be encrypted for the keyring "
                       "session (OpenSSL); nothing was sent to the keyring, "
                       "and its entry is unchanged.",
                       "Retry; if it persists, check the OpenSSL library "
                       "(libcrypto) keyref runs with.");
        }
        DBusMessageIter props, secret;
        api_->dbus_message_iter_open_container(it, kDBusTypeArray, "{sv}",
                                               &props);
        AppendProperty(api_, &props, "org.freedesktop.Secret.Item.Label", "s",
                       [&](DBusMessageIter* v) {
                         AppendStr(api_, v, kDBusTypeString, label);
                       });
        AppendProperty(
            api_, &props, "org.freedesktop.Secret.Item.Attributes", "a{ss}",
            [&](DBusMessageIter* v) { AppendAttributes(api_, v, attributes); });
        api_->dbus_message_iter_close_container(it, &props);
        api_->dbus_message_iter_open_container(it, kDBusTypeStruct, nullptr,
                                               &secret);
        AppendStr(api_, &secret, kDBusTypeObjectPath, session_);
        AppendBytes(api_, &secret, iv, 16);
        AppendBytes(api_, &secret, ct.data(), n1 + n2);
        AppendStr(api_, &secret, kDBusTypeString, "text/plain");
        api_->dbus_message_iter_close_container(it, &secret);
        const std::uint32_t replace = 1;
        api_->dbus_message_iter_append_basic(it, kDBusTypeBoolean, &replace);
        return {};
      },
      [&](ArgReader r) -> Status {
        std::string item;
        if (r.Str(&item) && r.Next() && r.Str(&prompt)) return {};
        return Unavailable("The Secret Service's create reply was malformed.");
      });
  if (!st) return st;
  return NoPrompt(prompt);
}

Status SecretServiceClient::DeleteItem(const std::string& item) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string prompt;
  Status st = Call(
      item.c_str(), "org.freedesktop.Secret.Item", "Delete",
      [](DBusMessageIter*) {},
      [&](ArgReader r) -> Status {
        if (r.Str(&prompt)) return {};
        return Unavailable("The Secret Service's delete reply was malformed.");
      });
  if (!st) return st;
  return NoPrompt(prompt);
}

}  // namespace keyref::sources
