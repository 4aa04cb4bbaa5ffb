// The system CA search (http/trust_store.h) on every layout it knows, built
// in a temporary root; the bare-root runs of the packed addon
// (scripts/test-artifact.sh) check the same against real files at /.
#include "http/trust_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <map>
#include <string>

#include "test_util.h"

namespace keyref::http {
namespace {

using test::Sh;
using test::TempDir;

// An environment for the code under test, without touching the process's.
struct FakeEnv {
  std::map<std::string, std::string> vars;
  GetEnvFn Fn() const {
    return [this](const char* name) -> const char* {
      auto it = vars.find(name);
      return it == vars.end() ? nullptr : it->second.c_str();
    };
  }
};

void Put(const std::string& path, const std::string& text) {
  Sh("mkdir -p \"$(dirname '" + path + "')\"");
  test::WriteFile(path, text, 0644);
}

// A self-signed CA certificate in PEM, made with the openssl command.
std::string MakeCaPem(const TempDir& dir) {
  const std::string key = dir.path() + "/ca.key", pem = dir.path() + "/ca.pem";
  EXPECT_EQ(Sh("openssl req -x509 -newkey rsa:2048 -nodes -keyout '" + key +
               "' -out '" + pem +
               "' -days 2 -subj '/CN=keyref trust test' 2>/dev/null"),
            0);
  return test::ShOut("cat '" + pem + "'");
}

int CountCerts(X509_STORE* store) {
  return sk_X509_OBJECT_num(X509_STORE_get0_objects(store));
}

TEST(TrustStore, FindsEachKnownLayoutAlone) {
  for (const char* file : SystemBundleFiles()) {
    TempDir root;
    Put(root.path() + file, "bundle");
    TrustLocations t = FindSystemTrust(FakeEnv{}.Fn(), root.path());
    EXPECT_EQ(t.file, root.path() + file) << file;
    EXPECT_FALSE(t.from_env);
  }
}

TEST(TrustStore, NamesTheLayoutsOfTheCommonDistributions) {
  auto has = [](const std::string& f) {
    for (const char* x : SystemBundleFiles()) {
      if (f == x) return true;
    }
    return false;
  };
  EXPECT_TRUE(has("/etc/ssl/certs/ca-certificates.crt"));  // Debian, Ubuntu
  EXPECT_TRUE(has("/etc/pki/tls/certs/ca-bundle.crt"));    // Fedora, RHEL
  EXPECT_TRUE(has("/etc/ssl/ca-bundle.pem"));              // openSUSE
  EXPECT_TRUE(has("/etc/ssl/cert.pem"));                   // Alpine
  EXPECT_TRUE(has("/etc/ca-certificates/extracted/tls-ca-bundle.pem"));  // Arch
}

TEST(TrustStore, DebianBundleWinsOverLaterOnes) {
  TempDir root;
  Put(root.path() + "/etc/pki/tls/certs/ca-bundle.crt", "rhel");
  Put(root.path() + "/etc/ssl/certs/ca-certificates.crt", "debian");
  EXPECT_EQ(FindSystemTrust(FakeEnv{}.Fn(), root.path()).file,
            root.path() + "/etc/ssl/certs/ca-certificates.crt");
}

TEST(TrustStore, EnvironmentComesFirstAndReplacesTheSearch) {
  TempDir root;
  Put(root.path() + "/etc/ssl/certs/ca-certificates.crt", "debian");
  FakeEnv env;
  env.vars["SSL_CERT_FILE"] = "/corp/bundle.pem";
  TrustLocations t = FindSystemTrust(env.Fn(), root.path());
  EXPECT_TRUE(t.from_env);
  EXPECT_EQ(t.file, "/corp/bundle.pem");
  EXPECT_EQ(t.dir, "");
  env.vars.clear();
  env.vars["SSL_CERT_DIR"] = "/corp/certs";
  t = FindSystemTrust(env.Fn(), root.path());
  EXPECT_EQ(t.file, "");
  EXPECT_EQ(t.dir, "/corp/certs");
  env.vars["SSL_CERT_DIR"] = "";  // empty counts as unset
  t = FindSystemTrust(env.Fn(), root.path());
  EXPECT_FALSE(t.from_env);
}

TEST(TrustStore, HashedDirectoryOnlyWithHashedEntries) {
  TempDir root;
  Put(root.path() + "/etc/ssl/certs/README", "no certificates");
  EXPECT_EQ(FindSystemTrust(FakeEnv{}.Fn(), root.path()).dir, "");
  Put(root.path() + "/etc/ssl/certs/1a2b3c4d.0", "cert");
  EXPECT_EQ(FindSystemTrust(FakeEnv{}.Fn(), root.path()).dir,
            root.path() + "/etc/ssl/certs");
}

TEST(TrustStore, NoBundleAnywhereIsTlsFailedNamingThePackage) {
  TempDir root;
  auto store = MakeTrustStore(FakeEnv{}.Fn(), "", "", root.path());
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code, ErrorCode::kTlsFailed);
  EXPECT_NE(store.error().hint.find("ca-certificates"), std::string::npos);
  EXPECT_NE(store.error().hint.find("SSL_CERT_FILE"), std::string::npos);
}

TEST(TrustStore, LoadsTheBundleFoundAndAddsNodeExtraCaCerts) {
  TempDir root, certs;
  const std::string pem = MakeCaPem(certs);
  Put(root.path() + "/etc/pki/tls/certs/ca-bundle.crt", pem);
  auto store = MakeTrustStore(FakeEnv{}.Fn(), "", "", root.path());
  ASSERT_TRUE(store.ok()) << store.error().message;
  EXPECT_EQ(CountCerts(store.value()), 1);
  X509_STORE_free(store.value());

  TempDir other;
  const std::string extra = MakeCaPem(other);
  Put(other.path() + "/extra.pem", extra);
  FakeEnv env;
  env.vars["NODE_EXTRA_CA_CERTS"] = other.path() + "/extra.pem";
  store = MakeTrustStore(env.Fn(), "", "", root.path());
  ASSERT_TRUE(store.ok());
  EXPECT_EQ(CountCerts(store.value()), 2);
  X509_STORE_free(store.value());
}

TEST(TrustStore, NodeExtraCaCertsAloneIsEnough) {
  TempDir root, certs;
  Put(certs.path() + "/corp.pem", MakeCaPem(certs));
  FakeEnv env;
  env.vars["NODE_EXTRA_CA_CERTS"] = certs.path() + "/corp.pem";
  auto store = MakeTrustStore(env.Fn(), "", "", root.path());
  ASSERT_TRUE(store.ok());
  X509_STORE_free(store.value());
  // Unreadable is ignored, as Node ignores it (with no system bundle it
  // then trusts nothing: TLS_FAILED).
  env.vars["NODE_EXTRA_CA_CERTS"] = certs.path() + "/missing.pem";
  EXPECT_EQ(MakeTrustStore(env.Fn(), "", "", root.path()).error().code,
            ErrorCode::kTlsFailed);
}

TEST(TrustStore, SslCertFileNamingNothingSaysSo) {
  TempDir root;
  Put(root.path() + "/etc/ssl/certs/ca-certificates.crt", "debian");
  FakeEnv env;
  env.vars["SSL_CERT_FILE"] = root.path() + "/nothing-here.pem";
  auto store = MakeTrustStore(env.Fn(), "", "", root.path());
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code, ErrorCode::kTlsFailed);
  EXPECT_NE(store.error().message.find("SSL_CERT_FILE"), std::string::npos);
}

TEST(TrustStore, ExtraCaThatIsNotPemIsRefused) {
  TempDir root, certs;
  Put(root.path() + "/etc/ssl/cert.pem", MakeCaPem(certs));
  auto store = MakeTrustStore(FakeEnv{}.Fn(), "", "not a pem", root.path());
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.error().hint.find("caFile"), std::string::npos);
  store = MakeTrustStore(FakeEnv{}.Fn(), root.path() + "/none.pem", "",
                         root.path());
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.error().hint.find("caFile"), std::string::npos);
}

}  // namespace
}  // namespace keyref::http
