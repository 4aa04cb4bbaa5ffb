// The conformance suite every secret source runs (like keyring-rs runs one
// generic test set against every store): found, not found, malformed,
// timeout, and the store/delete round trip (or SOURCE_DENIED for read-only
// sources), all through Instance, the way the addon resolves. A new source
// gets these tests by adding a harness to Harnesses() below; its
// source-specific behaviour stays in its own <scheme>_source_test.cpp.
//
// Real parts where they run here: the environment, the Secret Service
// (gnome-keyring under scripts/with-keyring.sh; skipped without a session),
// pass(1) with a throwaway gpg key, the plaintext file. Stand-ins, said so
// below: the 1Password CLI (not installable here: a script that speaks
// `op read`), the host store behind secret: (JavaScript's in the product: a
// map here; its timeout is tested in test/node/secrets.test.js), and a
// program that never answers for the op/pass timeout cases.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "keyref/instance.h"
#include "keyref/source.h"
#include "test_util.h"

namespace keyref {
namespace {

using test::Sh;

// How the suite drives one source.
class Harness {
 public:
  virtual ~Harness() = default;
  // Why the source cannot run here ("" = it can).
  virtual std::string Unavailable() { return ""; }
  virtual void Configure(Policy* policy) { (void)policy; }
  virtual std::shared_ptr<HostSecretStore> Host() { return nullptr; }
  // Stores `value` out of band (with the source's own tool) and returns a
  // ref that names it.
  virtual std::string Put(const std::string& value) = 0;
  // A ref the source has no entry for.
  virtual std::string MissingRef() = 0;
  // A ref and a policy under which the lookup never answers; nullopt when
  // the source cannot block (env, a local file).
  virtual std::optional<std::string> Hang(Policy* policy) {
    (void)policy;
    return std::nullopt;
  }

 protected:
  test::TempDir tmp_;
};

// A program that never answers (stands in for op/pass waiting for a
// pinentry or an approval).
std::string HangingProgram(const std::string& dir) {
  std::string path = dir + "/hang";
  test::WriteFile(path, "#!/bin/sh\nexec sleep 30\n", 0700);
  return path;
}

class EnvHarness : public Harness {
 public:
  std::string Put(const std::string& value) override {
    std::string name = test::RandomName("KEYREF_CONFORMANCE_");
    setenv(name.c_str(), value.c_str(), 1);
    return "env:" + name;
  }
  std::string MissingRef() override {
    return "env:" + test::RandomName("KEYREF_CONFORMANCE_MISSING_");
  }
};

// Stand-in for the host's SecretStorage (JavaScript in the product).
class MapHostStore : public HostSecretStore {
 public:
  Result<SecretValue> Get(const std::string& key,
                          std::chrono::milliseconds) override {
    auto it = values_.find(key);
    if (it == values_.end()) {
      return Error(ErrorCode::kSecretNotFound, "no such entry");
    }
    return SecretValue::FromBytes(it->second.data(), it->second.size());
  }
  Status Store(const std::string& key, const SecretValue& value,
               std::chrono::milliseconds) override {
    values_[key] = std::string(value.Reveal());
    return {};
  }
  Status Delete(const std::string& key, std::chrono::milliseconds) override {
    values_.erase(key);
    return {};
  }
  std::map<std::string, std::string> values_;
};

class HostHarness : public Harness {
 public:
  std::shared_ptr<HostSecretStore> Host() override { return store_; }
  std::string Put(const std::string& value) override {
    std::string name = test::RandomName("conformance/");
    store_->values_[name] = value;
    return "secret:" + name;
  }
  std::string MissingRef() override {
    return "secret:" + test::RandomName("missing/");
  }

 private:
  std::shared_ptr<MapHostStore> store_ = std::make_shared<MapHostStore>();
};

class FileHarness : public Harness {
 public:
  void Configure(Policy* policy) override { policy->plaintext_file = file_; }
  std::string Put(const std::string& value) override {
    std::string name = test::RandomName("conformance-");
    entries_[name] = value;
    std::string json = "{";
    for (const auto& [k, v] : entries_) {
      if (json.size() > 1) json += ",";
      json += "\"" + k + "\":\"" + Escape(v) + "\"";
    }
    test::WriteFile(file_, json + "}", 0600);
    return "file:" + name;
  }
  std::string MissingRef() override {
    if (entries_.empty()) test::WriteFile(file_, "{}", 0600);
    return "file:" + test::RandomName("missing-");
  }

 private:
  static std::string Escape(const std::string& v) {
    std::string out;
    for (unsigned char c : v) {
      if (c < 0x20 || c == '"' || c == '\\') {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", c);
        out += buf;
      } else {
        out += static_cast<char>(c);
      }
    }
    return out;
  }
  std::string file_ = tmp_.path() + "/secrets.json";
  std::map<std::string, std::string> entries_;
};

class KeyringHarness : public Harness {
 public:
  ~KeyringHarness() override {
    Sh("secret-tool clear service " + service_ + " >/dev/null 2>&1");
  }
  std::string Unavailable() override {
    SourceConfig config;
    SourceProbe probe = MakeSource(Scheme::kKeyring, config)->Probe();
    return probe.available ? "" : "no Secret Service: " + probe.reason;
  }
  std::string Put(const std::string& value) override {
    std::string account = test::RandomName("acct");
    std::FILE* p = popen(("secret-tool store --label=conformance service " +
                          service_ + " account " + account)
                             .c_str(),
                         "w");
    if (p) {
      std::fwrite(value.data(), 1, value.size(), p);
      pclose(p);
    }
    return "keyring:" + service_ + "/" + account;
  }
  std::string MissingRef() override {
    return "keyring:" + service_ + "/" + test::RandomName("missing");
  }

 private:
  std::string service_ = test::RandomName("keyref-conformance-");
};

// Stand-in for the 1Password CLI: `op read --no-newline op://v/i/NAME`
// prints the file values/NAME, or fails the way op does for a missing item.
class OpHarness : public Harness {
 public:
  OpHarness() {
    Sh("mkdir -p " + tmp_.path() + "/values");
    test::WriteFile(program_,
                    "#!/bin/sh\n"
                    "f=\"" +
                        tmp_.path() +
                        "/values/${3##*/}\"\n"
                        "[ -f \"$f\" ] && exec cat \"$f\"\n"
                        "echo \"[ERROR] 2024/05/01 12:00:00 \\\"x\\\" isn't an "
                        "item in the \\\"v\\\" vault.\" >&2\n"
                        "exit 1\n",
                    0700);
  }
  void Configure(Policy* policy) override { policy->op_program = program_; }
  std::string Put(const std::string& value) override {
    std::string field = test::RandomName("f");
    test::WriteFile(tmp_.path() + "/values/" + field, value, 0600);
    return "op://v/i/" + field;
  }
  std::string MissingRef() override {
    return "op://v/i/" + test::RandomName("missing");
  }
  std::optional<std::string> Hang(Policy* policy) override {
    policy->op_program = HangingProgram(tmp_.path());
    return "op://v/i/slow";
  }

 private:
  std::string program_ = tmp_.path() + "/op";
};

// The real pass(1) with a throwaway gpg key (no passphrase).
class PassHarness : public Harness {
 public:
  std::string Unavailable() override {
    if (Sh("command -v pass >/dev/null && command -v gpg >/dev/null") != 0) {
      return "pass or gpg is not installed";
    }
    return "";
  }
  std::string Put(const std::string& value) override {
    Init();
    std::string name = test::RandomName("conformance/e");
    std::FILE* p =
        popen(("pass insert -m -f " + name + " >/dev/null").c_str(), "w");
    if (p) {
      std::fwrite(value.data(), 1, value.size(), p);
      pclose(p);
    }
    return "pass:" + name;
  }
  std::string MissingRef() override {
    Init();
    return "pass:" + test::RandomName("conformance/missing");
  }
  std::optional<std::string> Hang(Policy* policy) override {
    policy->pass_program = HangingProgram(tmp_.path());
    return "pass:slow";
  }

 private:
  void Init() {
    if (ready_) return;
    ready_ = true;
    const std::string home = tmp_.path() + "/gnupg";
    Sh("mkdir -m 700 " + home);
    setenv("GNUPGHOME", home.c_str(), 1);
    setenv("PASSWORD_STORE_DIR", (tmp_.path() + "/store").c_str(), 1);
    test::WriteFile(tmp_.path() + "/keyparams",
                    "%no-protection\nKey-Type: RSA\nKey-Length: 2048\n"
                    "Name-Real: keyref conformance\n"
                    "Name-Email: conformance@keyref.invalid\n"
                    "Expire-Date: 0\n%commit\n",
                    0600);
    Sh("gpg --batch --quiet --gen-key " + tmp_.path() +
       "/keyparams 2>/dev/null");
    Sh("pass init conformance@keyref.invalid >/dev/null");
  }
  bool ready_ = false;
};

// THE registry: one entry per scheme. Adding a source = adding a line.
std::unique_ptr<Harness> MakeHarness(Scheme scheme) {
  switch (scheme) {
    case Scheme::kSecret:
      return std::make_unique<HostHarness>();
    case Scheme::kEnv:
      return std::make_unique<EnvHarness>();
    case Scheme::kKeyring:
      return std::make_unique<KeyringHarness>();
    case Scheme::kOp:
      return std::make_unique<OpHarness>();
    case Scheme::kPass:
      return std::make_unique<PassHarness>();
    case Scheme::kFile:
      return std::make_unique<FileHarness>();
  }
  return nullptr;
}

class SourceConformance : public ::testing::TestWithParam<Scheme> {
 protected:
  void SetUp() override {
    harness_ = MakeHarness(GetParam());
    ASSERT_TRUE(harness_) << "no conformance harness for scheme "
                          << SchemeName(GetParam());
    std::string why = harness_->Unavailable();
    if (!why.empty()) GTEST_SKIP() << why;
    policy_.allow = SchemeSet::All();
    policy_.resolve_timeout = std::chrono::milliseconds(5000);
    harness_->Configure(&policy_);
  }
  Instance& Inst() {
    if (!instance_) instance_.emplace(policy_, harness_->Host());
    return *instance_;
  }
  static ParsedRef Ref(const std::string& text) {
    auto r = ParseRef(text, SchemeSet::All());
    EXPECT_TRUE(r.ok()) << text;
    return r.ok() ? r.value() : ParsedRef{};
  }
  ErrorCode ResolveCode(const std::string& ref) {
    auto r = Inst().Resolve(Ref(ref));
    return r.ok() ? ErrorCode::kOk : r.error().code;
  }

  std::unique_ptr<Harness> harness_;
  Policy policy_;
  std::optional<Instance> instance_;
};

TEST_P(SourceConformance, Found) {
  const std::string value = test::RandomName("conformance-value-");
  const std::string ref = harness_->Put(value);
  auto r = Inst().Resolve(Ref(ref));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r.value().value().Reveal(), value);
}

TEST_P(SourceConformance, NotFound) {
  auto r = Inst().Resolve(Ref(harness_->MissingRef()));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kSecretNotFound) << r.error().message;
}

TEST_P(SourceConformance, MalformedValueIsRefusedWithoutQuotingIt) {
  // A control character: it could never be sent in a header.
  const std::string value = "conformance\x01malformed-zz";
  // Put before the instance is made: it captures the environment then.
  const std::string ref = harness_->Put(value);
  auto r = Inst().Resolve(Ref(ref));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kSecretMalformed) << r.error().message;
  EXPECT_EQ(r.error().message.find("malformed-zz"), std::string::npos);
  EXPECT_EQ(r.error().hint.find("malformed-zz"), std::string::npos);
}

TEST_P(SourceConformance, TimeoutIsSourceTimeout) {
  std::optional<std::string> ref = harness_->Hang(&policy_);
  if (!ref) GTEST_SKIP() << "this source cannot block (nothing to wait for)";
  policy_.resolve_timeout = std::chrono::milliseconds(300);
  EXPECT_EQ(ResolveCode(*ref), ErrorCode::kSourceTimeout);
}

TEST_P(SourceConformance, StoreDeleteRoundTripOrDenied) {
  const std::string value = test::RandomName("conformance-stored-");
  const SecretValue sv = SecretValue::FromBytes(value.data(), value.size());
  const std::string ref = harness_->MissingRef();
  Status stored = Inst().Store(Ref(ref), sv);
  // The scheme table says which sources are writable; the source must agree.
  if (!kSchemes[static_cast<int>(GetParam())].writable) {
    ASSERT_FALSE(stored.ok());
    EXPECT_EQ(stored.error().code, ErrorCode::kSourceDenied);
    Status deleted = Inst().Delete(Ref(ref));
    ASSERT_FALSE(deleted.ok());
    EXPECT_EQ(deleted.error().code, ErrorCode::kSourceDenied);
    return;
  }
  ASSERT_TRUE(stored.ok()) << stored.error().message;
  auto r = Inst().Resolve(Ref(ref));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r.value().value().Reveal(), value);
  ASSERT_TRUE(Inst().Delete(Ref(ref)).ok());
  EXPECT_EQ(ResolveCode(ref), ErrorCode::kSecretNotFound);
  // Deleting what is not there succeeds (like VS Code's secrets.delete).
  EXPECT_TRUE(Inst().Delete(Ref(ref)).ok());
}

std::vector<Scheme> AllSchemes() {
  std::vector<Scheme> out;
  for (const SchemeInfo& s : kSchemes) out.push_back(s.scheme);
  return out;
}

INSTANTIATE_TEST_SUITE_P(EverySource, SourceConformance,
                         ::testing::ValuesIn(AllSchemes()),
                         [](const ::testing::TestParamInfo<Scheme>& info) {
                           return std::string(SchemeName(info.param));
                         });

}  // namespace
}  // namespace keyref
