// The keyring: source against a real gnome-keyring: the one
// scripts/with-keyring.sh starts (dbus-run-session + an unlocked
// gnome-keyring-daemon), plus private sessions started here for the locked
// and no-D-Bus cases, so locking never disturbs tests running in parallel.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <limits.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <thread>
#include <vector>

#include "keyref/instance.h"
#include "keyref/source.h"
#include "sources/dbus_api.h"
#include "sources/secret_api.h"  // libsecret.h, with its unstable API
#include "sources/secret_service_client.h"
#include "sources/sources.h"
#include "test_util.h"

namespace keyref {
namespace {

using test::RandomName;
using test::Sh;
using test::ShOut;

std::string SelfExe() {
  char buf[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  return std::string(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
}

bool HaveSession() { return std::getenv("DBUS_SESSION_BUS_ADDRESS"); }

ParsedRef Ref(const std::string& text) {
  auto r = ParseRef(text);
  EXPECT_TRUE(r.ok()) << text;
  return r.value();
}

class KeyringTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::getenv("KEYREF_CHILD")) GTEST_SKIP() << "child run";
    ASSERT_TRUE(HaveSession())
        << "no D-Bus session: run under scripts/with-keyring.sh";
    service_ = RandomName("keyref-test-svc-");
    account_ = RandomName("acct");
    config_.keyring_service = "keyref-default-" + service_;
    source_ = MakeSource(Scheme::kKeyring, config_);
  }
  void TearDown() override {
    if (!service_.empty()) {
      Sh("secret-tool clear service " + service_ + " >/dev/null 2>&1");
    }
  }
  std::string RefText() const { return "keyring:" + service_ + "/" + account_; }

  std::string service_, account_;
  SourceConfig config_;
  std::unique_ptr<SecretSource> source_;
};

TEST_F(KeyringTest, WrittenByKeyrefReadBySecretTool) {
  const std::string value = RandomName("value-");
  auto sv = SecretValue::FromBytes(value.data(), value.size());
  ASSERT_TRUE(source_->Store(Ref(RefText()), sv).ok());
  EXPECT_EQ(
      ShOut("secret-tool lookup service " + service_ + " account " + account_),
      value);
  // keytar's schema name is on the entry too.
  EXPECT_NE(ShOut("secret-tool search --all service " + service_ + " account " +
                  account_ + " 2>&1")
                .find("org.freedesktop.Secret.Generic"),
            std::string::npos);
  auto got = source_->Resolve(Ref(RefText()));
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(got.value().Reveal(), value);
}

TEST_F(KeyringTest, WrittenBySecretToolReadByKeyref) {
  // secret-tool sets no xdg:schema: a lookup that matched the schema name
  // would miss this entry.
  const std::string value = RandomName("st-value-");
  ASSERT_EQ(Sh("printf %s '" + value +
               "' | secret-tool store --label=t "
               "service " +
               service_ + " account " + account_),
            0);
  auto got = source_->Resolve(Ref(RefText()));
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(got.value().Reveal(), value);
}

TEST_F(KeyringTest, TwoMatchesTheNewestWins) {
  // keyref's (keytar-style, with xdg:schema) and secret-tool's (without)
  // are two items with the same service/account.
  auto old_value = SecretValue::FromBytes("older", 5);
  ASSERT_TRUE(source_->Store(Ref(RefText()), old_value).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // mtime: s
  ASSERT_EQ(Sh("printf newer | secret-tool store --label=t service " +
               service_ + " account " + account_),
            0);
  auto got = source_->Resolve(Ref(RefText()));
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(got.value().Reveal(), "newer");
}

TEST_F(KeyringTest, DefaultServiceFromPolicy) {
  ASSERT_EQ(Sh("printf v1 | secret-tool store --label=t service " +
               config_.keyring_service + " account " + account_),
            0);
  auto got = source_->Resolve(Ref("keyring:" + account_));
  Sh("secret-tool clear service " + config_.keyring_service);
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(got.value().Reveal(), "v1");
}

TEST_F(KeyringTest, MissingEntryIsNotFound) {
  auto got = source_->Resolve(Ref(RefText()));
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, ErrorCode::kSecretNotFound);
  EXPECT_NE(got.error().hint.find("storeSecret"), std::string::npos);
}

TEST_F(KeyringTest, NapiRsUsernameEntryIsNotReadButNamedInTheHint) {
  ASSERT_EQ(Sh("printf nv | secret-tool store --label=t service " + service_ +
               " username " + account_),
            0);
  auto got = source_->Resolve(Ref(RefText()));
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, ErrorCode::kSecretNotFound);
  EXPECT_NE(got.error().hint.find("username"), std::string::npos);
}

TEST_F(KeyringTest, DeleteRemovesEntryAndMissingDeleteSucceeds) {
  ASSERT_EQ(Sh("printf x | secret-tool store --label=t service " + service_ +
               " account " + account_),
            0);
  ASSERT_TRUE(source_->Delete(Ref(RefText())).ok());
  EXPECT_EQ(
      ShOut("secret-tool lookup service " + service_ + " account " + account_),
      "");
  EXPECT_TRUE(source_->Delete(Ref(RefText())).ok());
}

TEST_F(KeyringTest, ProbeSaysAvailable) {
  SourceProbe p = source_->Probe();
  EXPECT_TRUE(p.available) << p.reason;
}

TEST_F(KeyringTest, MalformedValueIsRefusedByInstance) {
  ASSERT_EQ(Sh("printf 'a\\nb' | secret-tool store --label=t service " +
               service_ + " account " + account_),
            0);
  Policy policy;
  Instance inst(policy);
  auto got = inst.Resolve(Ref(RefText()));
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, ErrorCode::kSecretMalformed);
}

// Reads remember the item a search chose (one round trip instead of two)
// until the daemon announces a change (docs/performance.md): a newer
// duplicate, a changed value and a deleted entry must all be seen at once.
TEST_F(KeyringTest, RememberedItemYieldsToANewerDuplicate) {
  auto first = SecretValue::FromBytes("first", 5);
  ASSERT_TRUE(source_->Store(Ref(RefText()), first).ok());
  for (int i = 0; i < 3; ++i) {  // the path is now remembered
    auto got = source_->Resolve(Ref(RefText()));
    ASSERT_TRUE(got.ok()) << got.error().message;
    EXPECT_EQ(got.value().Reveal(), "first");
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // mtime: s
  // A second, newer item: its extra attribute keeps the daemon from
  // replacing the first (CreateItem replaces an item that has all the given
  // attributes).
  ASSERT_EQ(Sh("printf second | secret-tool store --label=t service " +
               service_ + " account " + account_ + " note dup"),
            0);
  ASSERT_NE(ShOut("secret-tool search --all service " + service_ + " account " +
                  account_ + " 2>&1 | grep -c '^\\['"),
            "1");
  auto got = source_->Resolve(Ref(RefText()));
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(got.value().Reveal(), "second");
}

TEST_F(KeyringTest, RememberedItemSeesAChangedValueAndADeletion) {
  auto v1 = SecretValue::FromBytes("one", 3);
  ASSERT_TRUE(source_->Store(Ref(RefText()), v1).ok());
  ASSERT_TRUE(source_->Resolve(Ref(RefText())).ok());
  // Another writer (keytar's attributes: the same item is replaced).
  auto other = MakeSource(Scheme::kKeyring, config_);
  auto v2 = SecretValue::FromBytes("two", 3);
  ASSERT_TRUE(other->Store(Ref(RefText()), v2).ok());
  auto got = source_->Resolve(Ref(RefText()));
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(got.value().Reveal(), "two");
  ASSERT_EQ(
      Sh("secret-tool clear service " + service_ + " account " + account_), 0);
  auto gone = source_->Resolve(Ref(RefText()));
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().code, ErrorCode::kSecretNotFound);
}

// Many threads reading at once through the one conversation.
TEST_F(KeyringTest, ConcurrentReadsAllSucceed) {
  const std::string value = RandomName("conc-");
  auto sv = SecretValue::FromBytes(value.data(), value.size());
  ASSERT_TRUE(source_->Store(Ref(RefText()), sv).ok());
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        auto got = source_->Resolve(Ref(RefText()));
        if (got.ok() && got.value().Reveal() == value) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 80);
}

// Without libdbus (a library name that does not exist stands for it),
// reads, writes and deletes go through libsecret as before.
TEST_F(KeyringTest, WithoutLibdbusLibsecretDoesEverything) {
  auto source = sources::MakeKeyringSource(
      config_, sources::GetSecretApi, [](std::string* error) {
        return sources::LoadDBusApiForTesting("libdbus-keyref-absent.so.3",
                                              error);
      });
  auto sv = SecretValue::FromBytes("via-libsecret", 13);
  ASSERT_TRUE(source->Store(Ref(RefText()), sv).ok());
  auto got = source->Resolve(Ref(RefText()));
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(got.value().Reveal(), "via-libsecret");
  ASSERT_TRUE(source->Delete(Ref(RefText())).ok());
  auto gone = source->Resolve(Ref(RefText()));
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().code, ErrorCode::kSecretNotFound);
}

// libdbus with two calls watched: the last method call made, and how many
// CreateItem calls went to the bus.
const sources::DBusApi* g_real_dbus = nullptr;
std::string g_last_method;
int g_create_items_sent = 0;

sources::DBusMessage* WatchNewCall(const char* dest, const char* path,
                                   const char* iface, const char* method) {
  g_last_method = method ? method : "";
  return g_real_dbus->dbus_message_new_method_call(dest, path, iface, method);
}

sources::DBusMessage* WatchSend(sources::DBusConnection* c,
                                sources::DBusMessage* m, int ms,
                                sources::DBusError* e) {
  if (g_last_method == "CreateItem") ++g_create_items_sent;
  return g_real_dbus->dbus_connection_send_with_reply_and_block(c, m, ms, e);
}

// When the value cannot be encrypted for the session, CreateItem refuses
// with INTERNAL and sends nothing: the entry keeps its key. Before, an
// empty secret (no IV, no ciphertext) went out with replace set, and only
// the daemon's refusal kept it from replacing the key.
TEST_F(KeyringTest, CreateItemThatCannotEncryptSendsNothing) {
  std::string why;
  g_real_dbus = sources::GetDBusApi(&why);
  if (!g_real_dbus) GTEST_SKIP() << "no libdbus: " << why;
  sources::DBusApi watched = *g_real_dbus;
  watched.dbus_message_new_method_call = WatchNewCall;
  watched.dbus_connection_send_with_reply_and_block = WatchSend;
  sources::SecretServiceClient client(&watched, std::chrono::seconds(10));
  auto collection = client.DefaultCollection();
  ASSERT_TRUE(collection.ok()) << collection.error().message;
  if (collection.value().empty()) GTEST_SKIP() << "no default collection";
  const sources::SecretServiceClient::Attributes attrs = {
      {"xdg:schema", "org.freedesktop.Secret.Generic"},
      {"service", service_},
      {"account", account_}};
  const std::string first = RandomName("first-");
  ASSERT_TRUE(
      client
          .CreateItem(collection.value(), "t", attrs,
                      SecretValue::FromBytes(first.data(), first.size()))
          .ok());
  ASSERT_EQ(g_create_items_sent, 1);

  client.FailEncryptionForTesting();
  const std::string second = RandomName("second-");
  Status st =
      client.CreateItem(collection.value(), "t", attrs,
                        SecretValue::FromBytes(second.data(), second.size()));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kInternal);
  EXPECT_NE(st.error().message.find("nothing was sent"), std::string::npos);
  EXPECT_FALSE(st.error().hint.empty());
  EXPECT_EQ(st.error().message.find(second), std::string::npos);
  EXPECT_EQ(g_create_items_sent, 1) << "a CreateItem went to the bus";
  auto got = source_->Resolve(Ref(RefText()));
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(got.value().Reveal(), first);
  g_real_dbus = nullptr;
}

// --- child runs: the parent starts this binary again in another session.

// Runs this binary's KeyringChild.NAME in another environment. 0 only when
// the child ran that test and it passed (a skipped child does not count).
int RunChild(const std::string& name, const std::string& env_prefix,
             bool private_keyring) {
  test::TempDir dir;
  const std::string log = dir.path() + "/child.log";
  const std::string filter = "--gtest_filter=KeyringChild." + name;
  std::string cmd;
  if (private_keyring) {
    cmd = "cd / && XDG_DATA_HOME=" + dir.path() +
          " XDG_RUNTIME_DIR=" + dir.path() + " KEYREF_CHILD=" + name +
          " dbus-run-session -- sh -c 'eval \"$(printf pw | "
          "gnome-keyring-daemon --unlock --components=secrets)\" >/dev/null; "
          "exec \"$0\" \"$1\"' " +
          SelfExe() + " " + filter;
  } else {
    cmd = env_prefix + " KEYREF_CHILD=" + name + " " + SelfExe() + " " + filter;
  }
  int rc = Sh(cmd + " >" + log + " 2>&1");
  const std::string out = ShOut("cat " + log);
  if (rc != 0 ||
      out.find("[       OK ] KeyringChild." + name) == std::string::npos) {
    ADD_FAILURE() << "child " << name << " failed:\n" << out;
    return rc ? rc : 1;
  }
  return 0;
}

bool IsChild(const char* name) {
  const char* c = std::getenv("KEYREF_CHILD");
  return c && std::string(c) == name;
}

TEST(KeyringChild, Locked) {
  if (!IsChild("Locked")) GTEST_SKIP() << "runs in a private session";
  SourceConfig config;
  auto source = MakeSource(Scheme::kKeyring, config);
  const std::string ref = "keyring:locksvc/alice";
  auto v = SecretValue::FromBytes("v", 1);
  ASSERT_TRUE(source->Store(Ref(ref), v).ok());
  // Lock the default collection with the Secret Service Lock method.
  GError* err = nullptr;
  SecretService* svc =
      secret_service_get_sync(SECRET_SERVICE_NONE, nullptr, &err);
  ASSERT_NE(svc, nullptr);
  SecretCollection* coll = secret_collection_for_alias_sync(
      svc, SECRET_COLLECTION_DEFAULT, SECRET_COLLECTION_NONE, nullptr, &err);
  ASSERT_NE(coll, nullptr);
  GList* objs = g_list_append(nullptr, coll);
  GList* locked = nullptr;
  ASSERT_GE(secret_service_lock_sync(svc, objs, nullptr, &locked, &err), 1);
  g_list_free_full(locked, g_object_unref);
  g_list_free(objs);
  ASSERT_TRUE(secret_collection_get_locked(coll));
  g_object_unref(coll);
  g_object_unref(svc);

  auto got = source->Resolve(Ref(ref));
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, ErrorCode::kSourceLocked)
      << ErrorCodeName(got.error().code) << ": " << got.error().message;
  SourceProbe p = source->Probe();
  EXPECT_FALSE(p.available);
  EXPECT_NE(p.reason.find("locked"), std::string::npos);
}

TEST(KeyringLocked, LockedCollectionIsSourceLockedNotNotFound) {
  if (std::getenv("KEYREF_CHILD")) GTEST_SKIP();
  EXPECT_EQ(RunChild("Locked", "", true), 0);
}

// The pid of this session's keyring daemon (found by its bus name), or "".
std::string KeyringDaemonPid() {
  return ShOut(
      "gdbus call --session --dest org.freedesktop.DBus --object-path "
      "/org/freedesktop/DBus --method "
      "org.freedesktop.DBus.GetConnectionUnixProcessID "
      "org.freedesktop.secrets | sed -E 's/.*uint32 ([0-9]+).*/\\1/' | "
      "tr -dc 0-9");
}

TEST(KeyringChild, Hung) {
  if (!IsChild("Hung")) GTEST_SKIP() << "runs in a private session";
  SourceConfig config;
  config.timeout = std::chrono::milliseconds(300);
  auto source = MakeSource(Scheme::kKeyring, config);
  auto v = SecretValue::FromBytes("v", 1);
  ASSERT_TRUE(source->Store(Ref("keyring:hungsvc/alice"), v).ok());
  // Freeze this private session's keyring daemon.
  const std::string pid = KeyringDaemonPid();
  ASSERT_FALSE(pid.empty());
  ASSERT_EQ(Sh("kill -STOP " + pid), 0);
  auto t0 = std::chrono::steady_clock::now();
  auto got = source->Resolve(Ref("keyring:hungsvc/alice"));
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::steady_clock::now() - t0)
                .count();
  Sh("kill -CONT " + pid);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, ErrorCode::kSourceTimeout) << got.error().message;
  EXPECT_LT(ms, 5000);
}

TEST(KeyringHung, HungDaemonIsSourceTimeout) {
  if (std::getenv("KEYREF_CHILD")) GTEST_SKIP();
  EXPECT_EQ(RunChild("Hung", "", true), 0);
}

// libdbus ends a blocked call by its own millisecond clock and may give up
// to 2 ms before the caller's deadline. This libdbus stands for that
// (deterministically): each blocking call waits 3 ms less than asked. A
// frozen daemon must still be a timeout, on every path: a known item, a
// search over a fresh connection, and the store's default collection.
// (Before, a NoReply ahead of the deadline was taken for a daemon that left
// the bus: SOURCE_UNAVAILABLE, "no Secret Service is reachable".)
sources::DBusApi g_early_dbus;
decltype(sources::DBusApi::dbus_connection_send_with_reply_and_block)
    g_real_block = nullptr;

sources::DBusMessage* EarlyBlock(sources::DBusConnection* c,
                                 sources::DBusMessage* m, int timeout_ms,
                                 sources::DBusError* e) {
  return g_real_block(c, m, timeout_ms > 3 ? timeout_ms - 3 : 1, e);
}

const sources::DBusApi* EarlyDBus(std::string* error) {
  const sources::DBusApi* real = sources::GetDBusApi(error);
  if (!real) return nullptr;
  g_early_dbus = *real;
  g_real_block = real->dbus_connection_send_with_reply_and_block;
  g_early_dbus.dbus_connection_send_with_reply_and_block = EarlyBlock;
  return &g_early_dbus;
}

TEST(KeyringChild, HungEarly) {
  if (!IsChild("HungEarly")) GTEST_SKIP() << "runs in a private session";
  SourceConfig config;
  config.timeout = std::chrono::milliseconds(200);
  auto source =
      sources::MakeKeyringSource(config, sources::GetSecretApi, EarlyDBus);
  auto v = SecretValue::FromBytes("v", 1);
  ASSERT_TRUE(source->Store(Ref("keyring:hungsvc/alice"), v).ok());
  ASSERT_TRUE(source->Resolve(Ref("keyring:hungsvc/alice")).ok());
  const std::string pid = KeyringDaemonPid();
  ASSERT_FALSE(pid.empty());
  ASSERT_EQ(Sh("kill -STOP " + pid), 0);
  // The remembered item (one GetSecret on the open session), then a
  // search on a connection opened afresh (the timeout dropped the old
  // one), then a store (its first call opens a connection again).
  auto known = source->Resolve(Ref("keyring:hungsvc/alice"));
  auto fresh = source->Resolve(Ref("keyring:hungsvc/bob"));
  Status stored = source->Store(Ref("keyring:hungsvc/alice"), v);
  Sh("kill -CONT " + pid);
  ASSERT_FALSE(known.ok());
  EXPECT_EQ(known.error().code, ErrorCode::kSourceTimeout)
      << known.error().message;
  ASSERT_FALSE(fresh.ok());
  EXPECT_EQ(fresh.error().code, ErrorCode::kSourceTimeout)
      << fresh.error().message;
  ASSERT_FALSE(stored.ok());
  EXPECT_EQ(stored.error().code, ErrorCode::kSourceTimeout)
      << stored.error().message;
}

TEST(KeyringHung, AClockThatEndsWaitsEarlyStillMeansTimeout) {
  if (std::getenv("KEYREF_CHILD")) GTEST_SKIP();
  EXPECT_EQ(RunChild("HungEarly", "", true), 0);
}

TEST(KeyringChild, NoDbus) {
  if (!IsChild("NoDbus")) GTEST_SKIP() << "runs without D-Bus";
  ASSERT_EQ(std::getenv("DBUS_SESSION_BUS_ADDRESS"), nullptr);
  SourceConfig config;
  auto source = MakeSource(Scheme::kKeyring, config);
  auto got = source->Resolve(Ref("keyring:svc/alice"));
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, ErrorCode::kSourceUnavailable);
  EXPECT_NE(got.error().hint.find("secret:"), std::string::npos);
  EXPECT_NE(got.error().hint.find("plaintext file"), std::string::npos);
  EXPECT_EQ(got.error().message.find("org.freedesktop"), std::string::npos);
  auto v = SecretValue::FromBytes("v", 1);
  EXPECT_EQ(source->Store(Ref("keyring:svc/alice"), v).error().code,
            ErrorCode::kSourceUnavailable);
  EXPECT_FALSE(source->Probe().available);
}

TEST(KeyringNoDbus, NoSessionIsSourceUnavailableWithHint) {
  if (std::getenv("KEYREF_CHILD")) GTEST_SKIP();
  test::TempDir dir;
  EXPECT_EQ(RunChild("NoDbus",
                     "env -u DBUS_SESSION_BUS_ADDRESS -u DISPLAY "
                     "-u WAYLAND_DISPLAY XDG_RUNTIME_DIR=" +
                         dir.path(),
                     false),
            0);
}

// libsecret is loaded at run time (secret_api.h); this is the loader the
// addon uses, on this machine where libsecret is installed.
TEST(KeyringLoader, LoadsLibsecretAtRunTime) {
  std::string why;
  const sources::SecretApi* api = sources::GetSecretApi(&why);
  ASSERT_NE(api, nullptr) << why;
  EXPECT_NE(api->secret_service_get_sync, nullptr);
  EXPECT_NE(api->g_object_unref, nullptr);
  EXPECT_EQ(sources::GetSecretApi(&why), api) << "one table per process";
}

// A host without libsecret (a library name that does not exist stands for
// it): keyring: refs fail with SOURCE_UNAVAILABLE and a hint naming the
// package; nothing is thrown and the source stays usable as an object.
TEST(KeyringLoader, WithoutLibsecretIsSourceUnavailableNamingThePackage) {
  SourceConfig config;
  auto source = sources::MakeKeyringSource(config, [](std::string* error) {
    return sources::LoadSecretApiForTesting("libsecret-keyref-absent.so.0",
                                            error);
  });
  auto got = source->Resolve(Ref("keyring:svc/alice"));
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, ErrorCode::kSourceUnavailable);
  EXPECT_NE(got.error().hint.find("libsecret-1-0"), std::string::npos)
      << got.error().hint;
  EXPECT_NE(got.error().hint.find("Fedora"), std::string::npos);
  EXPECT_NE(got.error().message.find("libsecret-keyref-absent.so.0"),
            std::string::npos)
      << got.error().message;
  auto v = SecretValue::FromBytes("v", 1);
  EXPECT_EQ(source->Store(Ref("keyring:svc/alice"), v).error().code,
            ErrorCode::kSourceUnavailable);
  EXPECT_EQ(source->Delete(Ref("keyring:svc/alice")).error().code,
            ErrorCode::kSourceUnavailable);
  SourceProbe probe = source->Probe();
  EXPECT_FALSE(probe.available);
  EXPECT_NE(probe.reason.find("libsecret"), std::string::npos) << probe.reason;
}

// A process out of file descriptors is refused before libsecret is even
// loaded (docs/reliability.md); the probe must say so, not blame a missing
// libsecret it never tried to load.
bool g_absent_loader_called = false;
const sources::SecretApi* AbsentLibsecretNoting(std::string* error) {
  g_absent_loader_called = true;
  return sources::LoadSecretApiForTesting("libsecret-keyref-absent.so.0",
                                          error);
}

TEST(KeyringLoader, NoFreeDescriptorIsNotReportedAsNoLibsecret) {
  SourceConfig config;
  auto source = sources::MakeKeyringSource(config, AbsentLibsecretNoting);
  rlimit saved{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &saved), 0);
  rlimit low = saved;
  low.rlim_cur = 64;
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
  std::vector<int> held;
  for (int i = 0; i < 64; ++i) {  // bounded: the limit is 64
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fd < 0) break;
    held.push_back(fd);
  }
  SourceProbe probe = source->Probe();
  for (int fd : held) close(fd);
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &saved), 0);
  EXPECT_FALSE(probe.available);
  EXPECT_FALSE(g_absent_loader_called);
  EXPECT_NE(probe.reason.find("file descriptor"), std::string::npos)
      << probe.reason;
  EXPECT_EQ(probe.reason.find("libsecret"), std::string::npos) << probe.reason;
}

// A library without the functions keyref needs is refused the same way,
// naming the missing function.
TEST(KeyringLoader, ALibraryWithoutTheFunctionsIsRefused) {
  std::string why;
  EXPECT_EQ(sources::LoadSecretApiForTesting("libm.so.6", &why), nullptr);
  EXPECT_NE(why.find("has no function g_error_free"), std::string::npos) << why;
}

}  // namespace
}  // namespace keyref
