// Instance: resolution through the source factory, the cache, store and
// delete, status, close, logging — with FakeSource (the test double with
// error injection) in place of the real sources where a test needs control.
#include "keyref/instance.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <thread>
#include <vector>

#include "keyref/key_scrubber.h"
#include "test_util.h"

namespace keyref {
namespace {

using namespace std::chrono_literals;
using test::FakeSource;

ParsedRef Ref(const std::string& text) {
  auto r = ParseRef(text, SchemeSet::All());
  EXPECT_TRUE(r.ok()) << text;
  return r.value();
}

SecretValue Sv(const std::string& s) {
  return SecretValue::FromBytes(s.data(), s.size());
}

struct Fixture {
  explicit Fixture(std::chrono::milliseconds ttl = 0ms) {
    Policy p;
    p.allow = SchemeSet::All();
    p.cache_ttl = ttl;
    inst = std::make_unique<Instance>(p);
    auto f = std::make_unique<FakeSource>(Scheme::kSecret);
    fake = f.get();
    inst->SetSourceForTesting(Scheme::kSecret, std::move(f));
    inst->logger().SetLevel(LogLevel::kTrace);
    inst->logger().SetHostSink([this](LogLevel, const std::string& line) {
      std::lock_guard<std::mutex> lock(mu);
      lines.push_back(line);
    });
  }
  // Declared before inst: the instance logs while it is destroyed.
  std::mutex mu;
  std::vector<std::string> lines;
  std::unique_ptr<Instance> inst;
  FakeSource* fake;
};

TEST(InstanceTest, ResolvesThroughTheSource) {
  Fixture f;
  f.fake->Set("openai", "sk-canary-instance-1");
  auto r = f.inst->Resolve(Ref("secret:openai"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value().value().Reveal(), "sk-canary-instance-1");
  auto c = f.inst->Check("secret:openai");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c.value(), Scheme::kSecret);
}

TEST(InstanceTest, InjectedErrorsPassThroughUnchanged) {
  Fixture f;
  f.fake->Set("k", "v");
  for (ErrorCode code :
       {ErrorCode::kSourceLocked, ErrorCode::kSourceUnavailable,
        ErrorCode::kSourceTimeout, ErrorCode::kSourceDenied}) {
    f.fake->fail = code;
    auto r = f.inst->Check("secret:k");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, code);  // never folded into NOT_FOUND
  }
}

TEST(InstanceTest, MalformedValuesAreRefused) {
  Fixture f;
  for (std::string bad :
       {std::string(""), std::string("a\r\n"), std::string("a\nb"),
        std::string("a\0b", 3), std::string("a\x7f"), std::string("\tx")}) {
    f.fake->Set("k", bad);
    auto r = f.inst->Check("secret:k");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::kSecretMalformed);
  }
  auto v = SecretValue::FromBytes("a\nb", 3);
  EXPECT_EQ(f.inst->Store(Ref("secret:k"), v).error().code,
            ErrorCode::kSecretMalformed);
}

// ValidateSecretValue reads every byte with no early exit and no branch on
// a byte (its time depends on the length only; the code says how): these
// are the answers it must keep giving. Every byte value at the start, the
// middle and the end of a key; control characters and DEL refused with one
// code and one message wherever they are, everything else accepted; the
// size rule first, as before. Timing itself is not asserted (tests never
// time), the branch-free fold is read in native/src/instance.cpp.
TEST(InstanceTest, SecretValueCheckAnswersTheSameWhereverTheByteIs) {
  const std::string key = "sk-test-0123456789abcdefghijklmnopqrstuv";
  const Status first_line = ValidateSecretValue(Sv("a\nb"));
  ASSERT_FALSE(first_line.ok());
  EXPECT_EQ(first_line.error().code, ErrorCode::kSecretMalformed);
  for (int b = 0; b < 256; ++b) {
    const bool control = b < 0x20 || b == 0x7F;
    for (std::size_t at : {std::size_t{0}, key.size() / 2, key.size() - 1}) {
      std::string v = key;
      v[at] = static_cast<char>(b);
      Status st = ValidateSecretValue(Sv(v));
      ASSERT_EQ(st.ok(), !control) << "byte " << b << " at " << at;
      if (control) {
        EXPECT_EQ(st.error().code, ErrorCode::kSecretMalformed);
        EXPECT_EQ(st.error().message, first_line.error().message);
        EXPECT_EQ(st.error().hint, first_line.error().hint);
      }
    }
  }
  // One byte alone, and several control characters at once.
  EXPECT_FALSE(ValidateSecretValue(Sv(std::string(1, '\0'))).ok());
  EXPECT_TRUE(ValidateSecretValue(Sv(" ")).ok());
  EXPECT_TRUE(ValidateSecretValue(Sv("\x80\xff~")).ok());
  EXPECT_EQ(ValidateSecretValue(Sv("line one\nline two\r\n")).error().message,
            first_line.error().message);

  const Status empty = ValidateSecretValue(Sv(""));
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().code, ErrorCode::kSecretMalformed);
  EXPECT_EQ(empty.error().message, "The secret is empty.");
  EXPECT_TRUE(ValidateSecretValue(Sv(std::string(kMaxSecretBytes, 'k'))).ok());
  std::string over(kMaxSecretBytes + 1, 'k');
  over[10] = '\n';  // the size is told, as before, not the control
  const Status big = ValidateSecretValue(Sv(over));
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error().code, ErrorCode::kSecretMalformed);
  EXPECT_NE(big.error().message.find("64 KiB"), std::string::npos);
}

TEST(InstanceTest, ParseErrorsComeFromCheck) {
  Fixture f;
  EXPECT_EQ(f.inst->Check("").error().code, ErrorCode::kRefEmpty);
  EXPECT_EQ(f.inst->Check("OPENAI_API_KEY").error().code,
            ErrorCode::kRefNoScheme);
  EXPECT_EQ(f.inst->Check("sk-proj-abcdefghijklmnopqrstuvwxyz0123456789")
                .error()
                .code,
            ErrorCode::kRefLiteralSecret);
}

TEST(InstanceTest, DisabledSchemeIsRefused) {
  Policy p;  // default: secret, env, keyring
  Instance inst(p);
  EXPECT_EQ(inst.Check("pass:x").error().code, ErrorCode::kRefSchemeDisabled);
  EXPECT_EQ(inst.Resolve(Ref("file:x")).error().code,
            ErrorCode::kRefSchemeDisabled);
}

TEST(InstanceTest, EnvSource) {
  setenv("KEYREF_TEST_ENV_VALUE", "env-value-1", 1);
  Policy p;
  Instance inst(p);
  auto r = inst.Resolve(Ref("env:KEYREF_TEST_ENV_VALUE"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value().value().Reveal(), "env-value-1");
  EXPECT_EQ(inst.Check("env:KEYREF_TEST_NOT_SET_EVER").error().code,
            ErrorCode::kSecretNotFound);
  auto v = SecretValue::FromBytes("x", 1);
  EXPECT_EQ(inst.Store(Ref("env:X"), v).error().code, ErrorCode::kSourceDenied);
}

TEST(InstanceTest, NoCacheByDefault) {
  Fixture f;
  f.fake->Set("k", "v1");
  ASSERT_TRUE(f.inst->Check("secret:k").ok());
  ASSERT_TRUE(f.inst->Check("secret:k").ok());
  EXPECT_EQ(f.fake->resolves, 2);
  EXPECT_EQ(f.inst->cached_count(), 0u);
  Scheme s;
  EXPECT_FALSE(f.inst->CheckCached("secret:k", &s));
}

TEST(InstanceTest, CacheHitsAndIsInvalidatedByStoreAndDelete) {
  Fixture f(60000ms);
  f.fake->Set("k", "v1");
  ASSERT_TRUE(f.inst->Check("secret:k").ok());
  auto r = f.inst->Resolve(Ref("secret:k"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(f.fake->resolves, 1);
  Scheme s;
  EXPECT_TRUE(f.inst->CheckCached("secret:k", &s));
  EXPECT_EQ(s, Scheme::kSecret);

  auto v2 = SecretValue::FromBytes("v2", 2);
  ASSERT_TRUE(f.inst->Store(Ref("secret:k"), v2).ok());
  EXPECT_FALSE(f.inst->CheckCached("secret:k", &s));
  auto r2 = f.inst->Resolve(Ref("secret:k"));
  EXPECT_EQ(r2.value().value().Reveal(), "v2");
  // Two reads since: Store reads the key's binding record once before it
  // replaces it (to put it back should the key write fail), and Resolve
  // reads the key, not the cache.
  EXPECT_EQ(f.fake->resolves, 3);

  ASSERT_TRUE(f.inst->Delete(Ref("secret:k")).ok());
  EXPECT_FALSE(f.inst->CheckCached("secret:k", &s));
  EXPECT_EQ(f.inst->Check("secret:k").error().code, ErrorCode::kSecretNotFound);
}

// Store, Delete and close drop the HTTP client's cached key scrubbers
// (KeyScrubberCache, docs/threat-model.md): the next request with a key is
// a miss, and after close nothing is kept.
TEST(InstanceTest, StoreDeleteAndCloseForgetTheCachedKeyScrubbers) {
  Fixture f;
  KeyScrubberCache& cache = f.inst->http().KeyScrubbersForTesting();
  const std::string key = "sk-cached-q8Wm3Rt6Yp1Lk4Hd7Fs2Ga9Jx5Cv0Nb";
  auto send = [&] {
    cache.For(SecretValue::FromBytes(key.data(), key.size()));
    return cache.size();
  };
  ASSERT_EQ(send(), 1u);
  auto v2 = SecretValue::FromBytes("v2", 2);
  ASSERT_TRUE(f.inst->Store(Ref("secret:k"), v2).ok());
  EXPECT_EQ(cache.size(), 0u);
  ASSERT_EQ(send(), 1u);
  ASSERT_TRUE(f.inst->Delete(Ref("secret:k")).ok());
  EXPECT_EQ(cache.size(), 0u);
  ASSERT_EQ(send(), 1u);
  f.inst->Close();
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(send(), 0u);
  EXPECT_EQ(cache.hits(), 0u);  // every lookup was a miss
}

TEST(InstanceTest, KeyringRefsShareOneCacheEntry) {
  Policy p;
  p.cache_ttl = 60000ms;
  p.keyring_service = "svc";
  Instance inst(p);
  auto f = std::make_unique<FakeSource>(Scheme::kKeyring);
  f->Set("alice", "v");
  f->Set("svc/alice", "v");
  inst.SetSourceForTesting(Scheme::kKeyring, std::move(f));
  ASSERT_TRUE(inst.Check("keyring:alice").ok());
  Scheme s;
  EXPECT_TRUE(inst.CheckCached("keyring:svc/alice", &s));
  ASSERT_TRUE(inst.Delete(Ref("keyring:svc/alice")).ok());
  EXPECT_FALSE(inst.CheckCached("keyring:alice", &s));
}

TEST(InstanceTest, CacheIsWipedAtExpiryWithoutALookup) {
  Fixture f(50ms);
  f.fake->Set("k", "v1");
  ASSERT_TRUE(f.inst->Check("secret:k").ok());
  EXPECT_EQ(f.inst->cached_count(), 1u);
  for (int i = 0; i < 100 && f.inst->cached_count() != 0; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(f.inst->cached_count(), 0u);
}

TEST(InstanceTest, CloseWipesAndRefuses) {
  Fixture f(60000ms);
  f.fake->Set("k", "sk-canary-close");
  ASSERT_TRUE(f.inst->Check("secret:k").ok());
  EXPECT_EQ(f.inst->cached_count(), 1u);
  f.inst->Close();
  EXPECT_EQ(f.inst->cached_count(), 0u);
  EXPECT_EQ(f.inst->Check("secret:k").error().code, ErrorCode::kInternal);
  // The redactor forgot the live value, but a value resolved once is still
  // caught for the process's lifetime, by its keyed fingerprints
  // (docs/redaction.md).
  EXPECT_EQ(f.inst->redactor().Redact("x sk-canary-close"), "x [REDACTED]");
  f.inst->Close();  // idempotent
}

TEST(InstanceTest, LogsRefsNeverValues) {
  Fixture f(1000ms);
  f.fake->Set("k", "sk-canary-log-4242");
  ASSERT_TRUE(f.inst->Check("secret:k").ok());
  ASSERT_TRUE(f.inst->Check("secret:k").ok());
  f.fake->fail = ErrorCode::kSourceLocked;
  f.inst->Check("secret:other");
  std::lock_guard<std::mutex> lock(f.mu);
  ASSERT_FALSE(f.lines.empty());
  bool named = false;
  for (const std::string& l : f.lines) {
    EXPECT_EQ(l.find("canary"), std::string::npos) << l;
    named |= l.find("secret:k") != std::string::npos;
  }
  EXPECT_TRUE(named);
}

TEST(InstanceTest, ConcurrentChecks) {
  Fixture f(0ms);
  f.fake->Set("k", "v");
  f.fake->delay = 1ms;
  std::atomic<int> ok{0}, bad{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        auto r = f.inst->Check(i % 2 ? "secret:k" : "secret:missing");
        (r.ok() ? ok : bad)++;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok, 8 * 12);
  EXPECT_EQ(bad, 8 * 13);
  EXPECT_EQ(f.fake->resolves, 200);
}

// A host store in C++ (the addon's JS-backed one is tested from Node).
class MapHostStore : public HostSecretStore {
 public:
  Result<SecretValue> Get(const std::string& key,
                          std::chrono::milliseconds) override {
    if (key == "slow") {
      return Error(ErrorCode::kSourceTimeout, "host store timed out");
    }
    auto it = map.find(key);
    if (it == map.end()) return Error(ErrorCode::kSecretNotFound, "none");
    return SecretValue::FromBytes(it->second.data(), it->second.size());
  }
  Status Store(const std::string& key, const SecretValue& v,
               std::chrono::milliseconds) override {
    map[key] = std::string(v.Reveal());
    return {};
  }
  Status Delete(const std::string& key, std::chrono::milliseconds) override {
    map.erase(key);
    return {};
  }
  std::map<std::string, std::string> map;
};

TEST(InstanceTest, HostSourceUsesTheHostStore) {
  auto host = std::make_shared<MapHostStore>();
  Policy p;
  Instance inst(p, host);
  auto v = SecretValue::FromBytes("hv", 2);
  ASSERT_TRUE(inst.Store(Ref("secret:a/b"), v).ok());
  EXPECT_EQ(host->map["a/b"], "hv");
  EXPECT_EQ(inst.Resolve(Ref("secret:a/b")).value().value().Reveal(), "hv");
  EXPECT_EQ(inst.Check("secret:slow").error().code, ErrorCode::kSourceTimeout);
  ASSERT_TRUE(inst.Delete(Ref("secret:a/b")).ok());
  EXPECT_EQ(inst.Check("secret:a/b").error().code, ErrorCode::kSecretNotFound);

  Instance no_host(p);
  auto r = no_host.Check("secret:a");
  EXPECT_EQ(r.error().code, ErrorCode::kSourceUnavailable);
  EXPECT_NE(r.error().hint.find("secretStorage"), std::string::npos);
}

TEST(InstanceTest, StatusCoversEverySchemeWithReasons) {
  Policy p;
  p.op_program = "keyref-no-such-op";
  Instance inst(p);
  auto all = inst.SchemeStatuses();
  ASSERT_EQ(all.size(), static_cast<std::size_t>(kSchemeCount));
  EXPECT_TRUE(all[static_cast<int>(Scheme::kEnv)].available);
  EXPECT_TRUE(all[static_cast<int>(Scheme::kEnv)].enabled);
  const auto& secret = all[static_cast<int>(Scheme::kSecret)];
  EXPECT_FALSE(secret.available);
  EXPECT_NE(secret.reason.find("secretStorage"), std::string::npos);
  const auto& op = all[static_cast<int>(Scheme::kOp)];
  EXPECT_FALSE(op.enabled);
  EXPECT_FALSE(op.available);
  EXPECT_NE(op.reason.find("disabled"), std::string::npos);

  p.allow = SchemeSet::All();
  Instance all_on(p);
  const auto op2 = all_on.SchemeStatuses()[static_cast<int>(Scheme::kOp)];
  EXPECT_TRUE(op2.enabled);
  EXPECT_FALSE(op2.available);
  EXPECT_NE(op2.reason.find("not installed"), std::string::npos);
}

// Lower-case hex: no credential shape, so only the value's fingerprints
// (its registration with the redactor) can make Redact touch it.
// The redactor remembers fingerprints process-wide, so each test passes its
// own seed: no value may share a run with another test's.
std::string HexValue(std::size_t size, std::uint64_t seed) {
  std::string out;
  out.reserve(size);
  std::uint64_t x = 0x9e3779b97f4a7c15ULL ^ (seed * 0xbf58476d1ce4e5b9ULL);
  while (out.size() < size) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    out.push_back("0123456789abcdef"[x & 15]);
  }
  return out;
}

// The cap (docs/threat-model.md, "Bounded resources"): a value of exactly
// kMaxSecretBytes is a secret like any other; one byte more is refused with
// SECRET_MALFORMED before it is cached or registered with the redactor.
TEST(InstanceTest, ValuesUpToTheCapResolve) {
  Fixture f(1000ms);
  std::string big = HexValue(kMaxSecretBytes, 1);
  f.fake->Set("big", big);
  auto r = f.inst->Resolve(Ref("secret:big"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value().value().size(), big.size());
  const std::string window = big.substr(1000, 24);
  EXPECT_NE(f.inst->redactor().Redact(window), window);
}

TEST(InstanceTest, ValuesOverTheCapAreRefusedBeforeFingerprinting) {
  Fixture f(1000ms);
  for (std::size_t size : {kMaxSecretBytes + 1, std::size_t{2} << 20}) {
    std::string big = HexValue(size, size);
    f.fake->Set("big", big);
    auto r = f.inst->Resolve(Ref("secret:big"));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::kSecretMalformed);
    EXPECT_NE(r.error().message.find("64 KiB"), std::string::npos);
    EXPECT_EQ(f.inst->cached_count(), 0u);
    // Never registered: the redactor does not know any part of it.
    const std::string window = big.substr(size / 2, 24);
    EXPECT_EQ(f.inst->redactor().Redact(window), window);
    auto v = SecretValue::FromBytes(big.data(), big.size());
    EXPECT_EQ(f.inst->Store(Ref("secret:other"), v).error().code,
              ErrorCode::kSecretMalformed);
  }
  EXPECT_TRUE(CheckSecretSize(kMaxSecretBytes).ok());
  EXPECT_FALSE(CheckSecretSize(kMaxSecretBytes + 1).ok());
}

// The resolve timeout covers the whole resolution: a source that answers
// after it (one with no deadline of its own) counts as timed out, and its
// value is never registered.
TEST(InstanceTest, ALateAnswerIsATimeout) {
  Policy p;
  p.allow = SchemeSet::All();
  p.resolve_timeout = 30ms;
  Instance inst(p);
  auto fake = std::make_unique<FakeSource>(Scheme::kSecret);
  fake->delay = 150ms;
  const std::string value = HexValue(28, 3);
  fake->Set("late", value);
  inst.SetSourceForTesting(Scheme::kSecret, std::move(fake));
  auto r = inst.Resolve(Ref("secret:late"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kSourceTimeout);
  EXPECT_EQ(inst.redactor().Redact(value), value);
}

}  // namespace
}  // namespace keyref

namespace keyref {
namespace {

// A failed mlock is logged, not fatal. Root may always mlock, so the check
// runs in a child started without CAP_IPC_LOCK and with RLIMIT_MEMLOCK 0.
TEST(InstanceMlock, ChildWithoutMemlock) {
  const char* c = std::getenv("KEYREF_CHILD");
  if (!c || std::string(c) != "NoMemlock") GTEST_SKIP() << "child run";
  setenv("KEYREF_TEST_MLOCK", "mlock-value", 1);
  Policy p;
  Instance inst(p);
  std::vector<std::string> lines;
  inst.logger().SetHostSink(
      [&](LogLevel, const std::string& l) { lines.push_back(l); });
  auto r = inst.Resolve(Ref("env:KEYREF_TEST_MLOCK"));
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r.value().value().locked());
  EXPECT_EQ(r.value().value().Reveal(), "mlock-value");
  bool warned = false;
  for (const auto& l : lines) {
    warned |= l.find("not locked in RAM") != std::string::npos &&
              l.find("env:KEYREF_TEST_MLOCK") != std::string::npos;
    EXPECT_EQ(l.find("mlock-value"), std::string::npos);
  }
  EXPECT_TRUE(warned);
  inst.logger().SetHostSink(nullptr);
}

TEST(InstanceMlock, FailedMlockIsLoggedNotFatal) {
  if (std::getenv("KEYREF_CHILD")) GTEST_SKIP();
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "AddressSanitizer intercepts mlock as a no-op that "
                  "reports success";
#endif
  char exe[4096];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  ASSERT_GT(n, 0);
  exe[n] = 0;
  test::TempDir dir;
  const std::string log = dir.path() + "/log";
  std::string drop =
      geteuid() == 0 ? "setpriv --inh-caps=-ipc_lock --bounding-set=-ipc_lock "
                     : "";
  int rc = test::Sh(
      "KEYREF_CHILD=NoMemlock prlimit --memlock=0:0 " + drop + exe +
      " --gtest_filter=InstanceMlock.ChildWithoutMemlock >" + log + " 2>&1");
  std::string out = test::ShOut("cat " + log);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("[       OK ] InstanceMlock.ChildWithoutMemlock"),
            std::string::npos)
      << out;
}

}  // namespace
}  // namespace keyref
