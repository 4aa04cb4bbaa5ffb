// keyring:[SERVICE/]ACCOUNT — the Secret Service (gnome-keyring, KWallet)
// through libsecret.
//
// Entries are written with the generic schema org.freedesktop.Secret.Generic
// and the attributes `service` and `account`, as keytar writes them, so
// keytar and `secret-tool lookup service S account A` find them. Lookups
// match on the two attributes only (SECRET_SCHEMA_DONT_MATCH_NAME), so they
// also find entries `secret-tool store service S account A` made, which have
// no xdg:schema attribute. Entries @napi-rs/keyring (keyring-rs) made name
// the account `username`: keyref does not read them (one ref, one meaning);
// a miss that has such an entry says so in its hint. docs/sources.md.
//
// Reads, writes and deletes talk to the Secret Service directly over
// libdbus when it loads (secret_service_client.h: one private connection,
// one encrypted session, SearchItems + GetSecrets, no GMainContext or
// thread hand-off per call, every call bounded by the resolve timeout).
// libsecret keeps what earns its place: the probe, creating a missing
// default collection (which takes a prompt), and every call on hosts
// without libdbus. docs/performance.md.
//
// A restarted daemon is followed: the direct client opens a new session
// when its daemon left the bus, and libsecret's shared SecretService, which
// keeps the dead daemon's session, is dropped after a failure
// (secret_service_disconnect) so the next call makes a new one
// (docs/reliability.md, "Keyring daemon").
//
// libsecret and libdbus are loaded at run time (secret_api.h, dbus_api.h):
// every libsecret, GLib and GObject call below goes through the table
// `api_`, every libdbus call through the client's.
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "keyref/source.h"
#include "sources/secret_api.h"
#include "sources/secret_service_client.h"
#include "sources/sources.h"

namespace keyref::sources {
namespace {

// GLib aborts the whole process (g_error) when a sync call cannot create
// the eventfd of its main context, which happens once the process has used
// up RLIMIT_NOFILE. So a few free descriptors are checked for first, and the
// call is refused with a code instead (docs/reliability.md). Another thread
// may still take the last ones in between: this narrows the window, it
// cannot close it.
bool DescriptorsFree() {
  int fds[4];
  int n = 0;
  for (; n < 4; ++n) {
    fds[n] = eventfd(0, EFD_CLOEXEC);
    if (fds[n] < 0) break;
  }
  for (int i = 0; i < n; ++i) close(fds[i]);
  return n == 4;
}

const SecretSchema kGenericSchema = {
    "org.freedesktop.Secret.Generic",
    SECRET_SCHEMA_DONT_MATCH_NAME,
    {
        {"service", SECRET_SCHEMA_ATTRIBUTE_STRING},
        {"account", SECRET_SCHEMA_ATTRIBUTE_STRING},
        {nullptr, SECRET_SCHEMA_ATTRIBUTE_STRING},
    },
    0,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    nullptr};

const char kNoServiceHint[] =
    "No Secret Service is reachable (no D-Bus session, or no keyring daemon "
    "such as gnome-keyring running), which is usual on headless machines and "
    "in containers. Use secret: refs (the editor's own secret store), or "
    "enable the plaintext file source (policy.allowSchemes with 'file', a "
    "0600 JSON file) instead.";

// RAII for the GLib objects used here.
struct GErrorPtr {
  explicit GErrorPtr(const SecretApi* api) : api(api) {}
  ~GErrorPtr() {
    if (e) api->g_error_free(e);
  }
  const SecretApi* api;
  GError* e = nullptr;
};

GHashTable* Attributes(const SecretApi* api, const std::string& service,
                       const char* account_key, const std::string& account) {
  GHashTable* t = api->g_hash_table_new(api->g_str_hash, api->g_str_equal);
  api->g_hash_table_insert(t, const_cast<char*>("service"),
                           const_cast<char*>(service.c_str()));
  api->g_hash_table_insert(t, const_cast<char*>(account_key),
                           const_cast<char*>(account.c_str()));
  return t;
}

bool IsUnavailable(const SecretApi* api, const GError* e) {
  // Connection failures (no bus, autolaunch impossible) and a bus without
  // the org.freedesktop.secrets name.
  return e->domain == api->g_io_error_quark() ||
         e->domain == api->g_dbus_error_quark() ||
         api->g_error_matches(e, api->g_spawn_error_quark(),
                              G_SPAWN_ERROR_NOENT);
}

Error TimeoutError(const char* what) {
  return Error(ErrorCode::kSourceTimeout,
               std::string("The Secret Service did not answer in time; the "
                           "entry could not be ") +
                   what + ".",
               "The keyring daemon may be busy or waiting for a prompt. "
               "Retry, or raise policy.resolveTimeoutMs.");
}

Error LockedError(const char* what) {
  return Error(ErrorCode::kSourceLocked,
               std::string("The keyring is locked, so the entry could not "
                           "be ") +
                   what + ".",
               "Unlock the login keyring (log in to the desktop session, "
               "or `gnome-keyring-daemon --unlock`) and retry.");
}

Error NoServiceError() {
  return Error(ErrorCode::kSourceUnavailable,
               "No Secret Service is reachable, so keyring: refs cannot "
               "be used here.",
               kNoServiceHint);
}

Error FailedError(const char* what) {
  return Error(ErrorCode::kSourceUnavailable,
               std::string("The Secret Service failed; the entry could not "
                           "be ") +
                   what + ".",
               "Check the keyring daemon (gnome-keyring, KWallet) is "
               "running; `secret-tool search --all service SERVICE` shows "
               "what it holds.");
}

Error ServiceError(const SecretApi* api, const GError* e, const char* what) {
  const GQuark io = api->g_io_error_quark();
  const GQuark dbus = api->g_dbus_error_quark();
  if (e && (api->g_error_matches(e, io, G_IO_ERROR_TIMED_OUT) ||
            api->g_error_matches(e, dbus, G_DBUS_ERROR_TIMEOUT) ||
            api->g_error_matches(e, dbus, G_DBUS_ERROR_NO_REPLY))) {
    return TimeoutError(what);
  }
  if (e && api->g_error_matches(e, api->secret_error_get_quark(),
                                SECRET_ERROR_IS_LOCKED)) {
    return LockedError(what);
  }
  if (e && IsUnavailable(api, e)) return NoServiceError();
  return FailedError(what);
}

// The same words for the direct client's errors (their messages name the
// D-Bus error, which users need not read; the log has the code).
Error DirectError(const Error& e, const char* what) {
  switch (e.code) {
    case ErrorCode::kSourceTimeout:
      return TimeoutError(what);
    case ErrorCode::kSourceLocked:
      return LockedError(what);
    case ErrorCode::kInternal:
      // Refused here, before anything was sent (CreateItem could not
      // encrypt): the client's own message and hint say so.
      return e;
    default:
      return e.message.rfind("No ", 0) == 0 ? NoServiceError()
                                            : FailedError(what);
  }
}

class KeyringSource final : public SecretSource {
 public:
  KeyringSource(const SourceConfig& c, SecretApiLoader loader,
                DBusApiLoader dbus_loader)
      : default_service_(c.keyring_service),
        timeout_(c.timeout),
        loader_(loader),
        dbus_loader_(dbus_loader) {}

  ~KeyringSource() override {
    if (service_) api_->g_object_unref(service_);
  }

  Scheme scheme() const noexcept override { return Scheme::kKeyring; }

  Result<SecretValue> Resolve(const ParsedRef& ref) override {
    SecretServiceClient* direct = nullptr;
    if (Error err; !LoadApis(&direct, &err)) return err;
    if (direct) return ResolveDirect(direct, ref);
    return ResolveWithLibsecret(ref);
  }

  Status Store(const ParsedRef& ref,
               const keyref::SecretValue& value) override {
    SecretServiceClient* direct = nullptr;
    if (Error err; !LoadApis(&direct, &err)) return err;
    const std::string service = ServiceOf(ref);
    const std::string label = service + "/" + ref.account + " (keyref)";
    if (direct) {
      // The default collection exists (the usual case): CreateItem with
      // replace, bounded by the timeout like every direct call. Without one
      // libsecret creates it (that takes a prompt).
      auto collection = direct->DefaultCollection();
      if (!collection.ok()) return DirectError(collection.error(), "stored");
      if (!collection.value().empty()) {
        // The attributes keytar and libsecret write (xdg:schema included).
        Status st = direct->CreateItem(collection.value(), label,
                                       {{"xdg:schema", kGenericSchema.name},
                                        {"service", service},
                                        {"account", ref.account}},
                                       value);
        if (!st) return DirectError(st.error(), "stored");
        return {};
      }
    }
    SecretService* svc = nullptr;
    if (Error err; !Connect(&svc, &err)) return err;
    GHashTable* attrs = Attributes(api_, service, "account", ref.account);
    std::string_view v = value.Reveal();
    // secret_value_new copies into libsecret's wiped memory.
    ::SecretValue* sv = api_->secret_value_new(
        v.data(), static_cast<gssize>(v.size()), "text/plain");
    GErrorPtr err(api_);
    gboolean ok = api_->secret_service_store_sync(
        svc, &kGenericSchema, attrs, SECRET_COLLECTION_DEFAULT, label.c_str(),
        sv, nullptr, &err.e);
    api_->secret_value_unref(sv);
    api_->g_hash_table_unref(attrs);
    if (!ok) return Failed(svc, ServiceError(api_, err.e, "stored"));
    api_->g_object_unref(svc);
    return {};
  }

  Status Delete(const ParsedRef& ref) override {
    SecretServiceClient* direct = nullptr;
    if (Error err; !LoadApis(&direct, &err)) return err;
    const std::string service = ServiceOf(ref);
    if (direct) {
      // Removes every unlocked match, keytar's and secret-tool's alike (as
      // libsecret's secret_service_clear does).
      auto found =
          direct->Search({{"service", service}, {"account", ref.account}});
      if (!found.ok()) return DirectError(found.error(), "deleted");
      for (const std::string& item : found.value().unlocked) {
        Status st = direct->DeleteItem(item);
        if (!st && st.error().code != ErrorCode::kSecretNotFound) {
          return DirectError(st.error(), "deleted");
        }
      }
      return {};
    }
    SecretService* svc = nullptr;
    if (Error err; !Connect(&svc, &err)) return err;
    GHashTable* attrs = Attributes(api_, service, "account", ref.account);
    GErrorPtr err(api_);
    api_->secret_service_clear_sync(svc, &kGenericSchema, attrs, nullptr,
                                    &err.e);
    api_->g_hash_table_unref(attrs);
    if (err.e) return Failed(svc, ServiceError(api_, err.e, "deleted"));
    api_->g_object_unref(svc);
    return {};
  }

  SourceProbe Probe() override {
    SecretService* svc = nullptr;
    if (Error err; !Connect(&svc, &err)) {
      if (err.hint == kNoLibsecretHint) {
        return {false,
                "libsecret is not installed (libsecret-1-0 on "
                "Debian/Ubuntu, libsecret elsewhere)"};
      }
      // Refused before libsecret was even loaded: no free descriptor.
      if (!api_) return {false, err.message};
      return {false,
              "no Secret Service is reachable (no D-Bus session or "
              "no keyring daemon)"};
    }
    SourceProbe p{true, {}};
    GErrorPtr err(api_);
    SecretCollection* c = api_->secret_collection_for_alias_sync(
        svc, SECRET_COLLECTION_DEFAULT, SECRET_COLLECTION_NONE, nullptr,
        &err.e);
    if (c) {
      if (api_->secret_collection_get_locked(c)) {
        p = {false, "the default keyring collection is locked"};
      }
      api_->g_object_unref(c);
    }
    if (err.e) {
      Error e = Failed(svc, ServiceError(api_, err.e, "reached"));
      return {false, e.message};
    }
    api_->g_object_unref(svc);
    return p;
  }

 private:
  // SearchItems, then GetSecrets on the one unlocked match (as keytar's
  // lookup does, minus its unlock prompt). Locked matches are reported, not
  // unlocked: a prompt cannot be answered headless.
  Result<SecretValue> ResolveDirect(SecretServiceClient* direct,
                                    const ParsedRef& ref) {
    const std::string service = ServiceOf(ref);
    const std::string key = service + '\n' + ref.account;
    // The item an earlier search chose, if nothing changed since (the
    // client's Generation): one round trip instead of two. Only the path
    // is remembered, never a value; docs/performance.md.
    if (ItemPath known = KnownPath(key); !known.path.empty()) {
      std::uint64_t after = 0;
      Result<SecretValue> got = direct->GetSecret(known.path, &after);
      if (got.ok() && after == known.generation) return got;
      if (!got.ok() && got.error().code == ErrorCode::kSourceTimeout) {
        return DirectError(got.error(), "read");  // a search would wait too
      }
      // Something changed, or the read failed: search again.
    }
    const std::uint64_t before = direct->Generation();
    auto found =
        direct->Search({{"service", service}, {"account", ref.account}});
    if (!found.ok()) return DirectError(found.error(), "read");
    const auto& paths = found.value();
    if (paths.unlocked.empty()) {
      if (!paths.locked.empty()) return LockedEntry(service, ref.account);
      return NotFound(service, ref.account);
    }
    // Several unlocked matches (say one from keytar with xdg:schema and one
    // from secret-tool without): the most recently modified one wins.
    std::string best = paths.unlocked[0];
    if (paths.unlocked.size() > 1) {
      std::uint64_t newest = 0;
      for (const std::string& item : paths.unlocked) {
        auto m = direct->Modified(item);
        if (!m.ok()) return DirectError(m.error(), "read");
        if (m.value() > newest) newest = m.value(), best = item;
      }
    }
    std::uint64_t after = 0;
    Result<SecretValue> got = direct->GetSecret(best, &after);
    if (got.ok()) {
      // Remembered only if no change came in between: the choice is then
      // the one a search would make until the counter moves.
      if (after == before) RememberPath(key, {best, after});
      return got;
    }
    if (got.error().code == ErrorCode::kSecretNotFound) {
      return NotFound(service, ref.account);  // deleted in between
    }
    return DirectError(got.error(), "read");
  }

  struct ItemPath {
    std::string path;
    std::uint64_t generation = 0;
  };

  ItemPath KnownPath(const std::string& key) {
    std::lock_guard<std::mutex> lock(paths_mu_);
    auto it = paths_.find(key);
    return it == paths_.end() ? ItemPath{} : it->second;
  }

  void RememberPath(const std::string& key, ItemPath path) {
    std::lock_guard<std::mutex> lock(paths_mu_);
    // Bounded: a process reading many distinct refs starts over.
    if (paths_.size() >= 1024) paths_.clear();
    paths_[key] = std::move(path);
  }

  // The same through libsecret, on hosts without libdbus.
  Result<SecretValue> ResolveWithLibsecret(const ParsedRef& ref) {
    SecretService* svc = nullptr;
    if (Error err; !Connect(&svc, &err)) return err;
    const std::string service = ServiceOf(ref);
    GHashTable* attrs = Attributes(api_, service, "account", ref.account);
    gchar** unlocked = nullptr;
    gchar** locked = nullptr;
    GErrorPtr err(api_);
    gboolean ok = api_->secret_service_search_for_dbus_paths_sync(
        svc, &kGenericSchema, attrs, nullptr, &unlocked, &locked, &err.e);
    api_->g_hash_table_unref(attrs);
    const guint n_unlocked = unlocked ? api_->g_strv_length(unlocked) : 0;
    const guint n_locked = locked ? api_->g_strv_length(locked) : 0;
    Result<SecretValue> out = Error();
    if (!ok) {
      out = ServiceError(api_, err.e, "read");
    } else if (n_unlocked == 1) {
      GErrorPtr gerr(api_);
      ::SecretValue* sv = api_->secret_service_get_secret_for_dbus_path_sync(
          svc, unlocked[0], nullptr, &gerr.e);
      if (sv) {
        out = TakeValue(sv);
      } else if (gerr.e) {
        out = ServiceError(api_, gerr.e, "read");
      } else {
        out = NotFound(service, ref.account);  // deleted in between
      }
    } else if (n_unlocked > 1) {
      out = ResolveNewest(svc, service, ref.account);
    } else if (n_locked > 0) {
      out = LockedEntry(service, ref.account);
    } else {
      out = NotFound(service, ref.account);
    }
    api_->g_strfreev(unlocked);
    api_->g_strfreev(locked);
    if (!out.ok() && out.error().code != ErrorCode::kSecretNotFound &&
        out.error().code != ErrorCode::kSourceLocked) {
      return Failed(svc, std::move(out).error());
    }
    api_->g_object_unref(svc);
    return out;
  }

  Error LockedEntry(const std::string& service, const std::string& account) {
    return Error(ErrorCode::kSourceLocked,
                 "The keyring entry " + service + "/" + account +
                     " is in a locked collection.",
                 "Unlock the login keyring (log in to the desktop session, "
                 "or `gnome-keyring-daemon --unlock`) and retry.");
  }

  // Copies libsecret's value (kept in its own wiped memory) into a
  // keyref::SecretValue and releases it.
  keyref::SecretValue TakeValue(::SecretValue* sv) {
    gsize len = 0;
    const gchar* data = api_->secret_value_get(sv, &len);
    keyref::SecretValue v = keyref::SecretValue::FromBytes(data, len);
    api_->secret_value_unref(sv);
    return v;
  }

  // Several unlocked matches, through libsecret: the newest wins.
  Result<SecretValue> ResolveNewest(SecretService* svc,
                                    const std::string& service,
                                    const std::string& account) {
    GHashTable* attrs = Attributes(api_, service, "account", account);
    GErrorPtr err(api_);
    GList* items = api_->secret_service_search_sync(
        svc, &kGenericSchema, attrs,
        static_cast<SecretSearchFlags>(SECRET_SEARCH_ALL |
                                       SECRET_SEARCH_LOAD_SECRETS),
        nullptr, &err.e);
    api_->g_hash_table_unref(attrs);
    if (err.e) return ServiceError(api_, err.e, "read");
    SecretItem* best = nullptr;
    for (GList* l = items; l; l = l->next) {
      SecretItem* item = static_cast<SecretItem*>(l->data);
      if (api_->secret_item_get_locked(item)) continue;
      if (!best || api_->secret_item_get_modified(item) >
                       api_->secret_item_get_modified(best)) {
        best = item;
      }
    }
    Result<SecretValue> out = NotFound(service, account);
    if (best) {
      ::SecretValue* sv = api_->secret_item_get_secret(best);
      if (sv) out = TakeValue(sv);
    }
    api_->g_list_free_full(items, api_->g_object_unref);
    return out;
  }

  std::string ServiceOf(const ParsedRef& ref) const {
    return ref.service.empty() ? default_service_ : ref.service;
  }

  // Loads libsecret's table (keyring: refs need it, for writes at least)
  // and, once, libdbus's for the direct client; *direct is null when
  // libdbus is missing. A failed libsecret load is retried next time.
  bool LoadApis(SecretServiceClient** direct, Error* error) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!LoadLibsecret(error)) return false;
    if (!dbus_tried_) {
      dbus_tried_ = true;
      std::string why;
      if (const DBusApi* dbus = dbus_loader_(&why)) {
        direct_ = std::make_unique<SecretServiceClient>(dbus, timeout_);
      }
    }
    *direct = direct_.get();
    return true;
  }

  // Caller holds mu_.
  bool LoadLibsecret(Error* error) {
    if (api_) return true;
    std::string why;
    api_ = loader_(&why);
    if (api_) return true;
    *error = Error(ErrorCode::kSourceUnavailable,
                   "libsecret could not be loaded (" + why +
                       "), so keyring: refs cannot be used here.",
                   kNoLibsecretHint);
    return false;
  }

  // libsecret's SecretService. The connection is made once and kept; a
  // failed attempt is retried next time (the session may appear later,
  // libsecret may be installed), and so is one whose call failed (Failed).
  bool Connect(SecretService** out, Error* error) {
    if (!DescriptorsFree()) {
      *error = Error(ErrorCode::kSourceUnavailable,
                     "The process has no free file descriptor (its open-files "
                     "limit is reached), so the keyring cannot be reached.",
                     "Close files, or raise the limit (ulimit -n).");
      return false;
    }
    std::lock_guard<std::mutex> lock(mu_);
    if (!LoadLibsecret(error)) return false;
    if (!service_) {
      GErrorPtr err(api_);
      service_ =
          api_->secret_service_get_sync(SECRET_SERVICE_NONE, nullptr, &err.e);
      if (!service_) {
        *error = ServiceError(api_, err.e, "reached");
        if (error->code != ErrorCode::kSourceLocked) *error = NoServiceError();
        return false;
      }
      // libsecret's calls go through this proxy with its default timeout
      // (25 s); bound them by the resolve timeout instead. The service
      // object is shared process-wide by libsecret, so the last instance's
      // timeout wins; they are normally all the same.
      api_->g_dbus_proxy_set_default_timeout(
          reinterpret_cast<GDBusProxy*>(service_),
          static_cast<gint>(std::min<long long>(timeout_.count(), G_MAXINT)));
    }
    // Parenthesised: GLib defines g_object_ref as a function-like macro too.
    *out = static_cast<SecretService*>((api_->g_object_ref)(service_));
    return true;
  }

  // After a failed libsecret call (not a locked keyring, not a timeout:
  // a frozen daemon comes back with its sessions): forget the
  // SecretService, ours and libsecret's shared default, whose session
  // belongs to a daemon that may be gone, so the next call connects anew.
  // Releases `svc`; returns `e`.
  Error Failed(SecretService* svc, Error e) {
    api_->g_object_unref(svc);
    if (e.code == ErrorCode::kSourceUnavailable) {
      std::lock_guard<std::mutex> lock(mu_);
      if (service_ == svc) {
        api_->g_object_unref(service_);
        service_ = nullptr;
        api_->secret_service_disconnect();
      }
    }
    return e;
  }

  // Whether an entry @napi-rs/keyring (keyring-rs) wrote exists: it names
  // the account `username`.
  bool NapiRsEntryExists(const std::string& service,
                         const std::string& account) {
    SecretServiceClient* direct = nullptr;
    Error ignored;
    if (!LoadApis(&direct, &ignored)) return false;
    if (direct) {
      auto found =
          direct->Search({{"service", service}, {"username", account}});
      return found.ok() &&
             (!found.value().unlocked.empty() || !found.value().locked.empty());
    }
    SecretService* svc = nullptr;
    if (!Connect(&svc, &ignored)) return false;
    GHashTable* attrs = Attributes(api_, service, "username", account);
    GList* items = api_->secret_service_search_sync(
        svc, nullptr, attrs, SECRET_SEARCH_ALL, nullptr, nullptr);
    api_->g_hash_table_unref(attrs);
    api_->g_object_unref(svc);
    api_->g_list_free_full(items, api_->g_object_unref);
    return items != nullptr;
  }

  Error NotFound(const std::string& service, const std::string& account) {
    std::string hint = "Store it with sidecar.storeSecret('keyring:" + service +
                       "/" + account +
                       "', value) or `secret-tool store --label=" + service +
                       " service " + service + " account " + account + "`.";
    // Say so rather than read a keyring-rs entry silently.
    if (NapiRsEntryExists(service, account)) {
      hint = "An entry with service " + service + " and username " + account +
             " exists (written by @napi-rs/keyring or "
             "keyring-rs). keyref reads only the `account` attribute "
             "(keytar's); store the key again with storeSecret.";
    }
    return Error(ErrorCode::kSecretNotFound,
                 "The keyring has no entry with service " + service +
                     " and account " + account + ".",
                 hint);
  }

  std::string default_service_;
  std::chrono::milliseconds timeout_;
  SecretApiLoader loader_;
  DBusApiLoader dbus_loader_;
  std::mutex mu_;
  // Set once (under mu_), then only read.
  const SecretApi* api_ = nullptr;
  bool dbus_tried_ = false;
  std::unique_ptr<SecretServiceClient> direct_;
  // Under mu_; replaced after a failure (Failed).
  SecretService* service_ = nullptr;
  // SERVICE\nACCOUNT -> the item the last search chose (ResolveDirect).
  std::mutex paths_mu_;
  std::unordered_map<std::string, ItemPath> paths_;
};

}  // namespace

std::unique_ptr<SecretSource> MakeKeyringSource(const SourceConfig& config,
                                                SecretApiLoader loader,
                                                DBusApiLoader dbus_loader) {
  return std::make_unique<KeyringSource>(config, loader, dbus_loader);
}

}  // namespace keyref::sources
