// System CA discovery and the per-connection trust store (trust_store.h).
#include "http/trust_store.h"

#include <dirent.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <mutex>

namespace keyref::http {
namespace {

bool IsFile(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// An OpenSSL hashed directory: at least one "xxxxxxxx.N" entry.
bool HasHashedCerts(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) return false;
  bool found = false;
  while (const dirent* e = ::readdir(d)) {
    const char* dot = std::strchr(e->d_name, '.');
    if (dot && dot - e->d_name == 8 && dot[1] >= '0' && dot[1] <= '9') {
      found = true;
      break;
    }
  }
  ::closedir(d);
  return found;
}

const char* NonEmpty(const char* s) { return s && *s ? s : nullptr; }

Error NoCaError(bool from_env) {
  if (from_env) {
    return Error(ErrorCode::kTlsFailed,
                 "SSL_CERT_FILE / SSL_CERT_DIR name no readable CA "
                 "certificates, so no HTTPS server can be verified.",
                 "Point SSL_CERT_FILE at a PEM bundle (or SSL_CERT_DIR at a "
                 "hashed directory), or unset both to use the system's.");
  }
  return Error(ErrorCode::kTlsFailed,
               "No CA certificates were found on this system, so no HTTPS "
               "server can be verified.",
               "Install the CA bundle (the ca-certificates package on "
               "Debian, Ubuntu, Fedora, RHEL, openSUSE, Alpine and Arch), or "
               "set SSL_CERT_FILE to a PEM bundle.");
}

Error ExtraCaError(std::string message) {
  return Error(ErrorCode::kTlsFailed, std::move(message),
               "Check the caFile / ca option: it must be PEM certificates.");
}

// Adds the PEM certificates in `bio`; returns how many.
int AddPem(X509_STORE* store, BIO* bio) {
  int added = 0;
  while (X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
    if (X509_STORE_add_cert(store, cert) == 1) ++added;
    X509_free(cert);
  }
  ERR_clear_error();  // the read that ends the loop leaves an error queued
  return added;
}

int AddPemFile(X509_STORE* store, const std::string& path) {
  BIO* bio = BIO_new_file(path.c_str(), "r");
  if (!bio) {
    ERR_clear_error();
    return -1;
  }
  int n = AddPem(store, bio);
  BIO_free(bio);
  return n;
}

}  // namespace

const std::vector<const char*>& SystemBundleFiles() {
  static const std::vector<const char*> files = {
      "/etc/ssl/certs/ca-certificates.crt",  // Debian, Ubuntu, Gentoo, Arch
      "/etc/pki/tls/certs/ca-bundle.crt",    // Fedora, RHEL, CentOS
      "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",  // RHEL 7+
      "/etc/ssl/ca-bundle.pem",                             // openSUSE, SLES
      "/var/lib/ca-certificates/ca-bundle.pem",  // openSUSE (the target)
      "/etc/ssl/cert.pem",                       // Alpine
      "/etc/ca-certificates/extracted/tls-ca-bundle.pem",  // Arch
      "/etc/pki/tls/cacert.pem",                           // OpenELEC
  };
  return files;
}

TrustLocations FindSystemTrust(const GetEnvFn& getenv,
                               const std::string& root) {
  TrustLocations t;
  const char* env_file = NonEmpty(getenv("SSL_CERT_FILE"));
  const char* env_dir = NonEmpty(getenv("SSL_CERT_DIR"));
  if (env_file || env_dir) {
    // An explicit setting replaces the search, as it does for OpenSSL.
    t.from_env = true;
    if (env_file) t.file = env_file;
    if (env_dir) t.dir = env_dir;
    return t;
  }
  for (const char* f : SystemBundleFiles()) {
    if (IsFile(root + f)) {
      t.file = root + f;
      break;
    }
  }
  if (HasHashedCerts(root + "/etc/ssl/certs")) t.dir = root + "/etc/ssl/certs";
  return t;
}

void InitOpenSsl() {
  // OPENSSL_INIT_NO_ATEXIT: OpenSSL's exit handler frees its locks and
  // state while keyref's workers may still be using them (process.exit()
  // with requests in flight: RAND_bytes then crashed on a freed lock, and
  // HMAC failed, in a review's runs; a core dump of that crash held the
  // key). The process is ending anyway; nothing needs the memory back.
  static std::once_flag once;
  std::call_once(once, [] {
    OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_NO_ATEXIT,
                     nullptr);
  });
}

// Whichever OpenSSL initialisation comes first decides whether a config
// file is read, and cpp-httplib initialises OpenSSL from a static
// constructor in every file that includes it; priority 101 runs this before
// all of them.
__attribute__((constructor(101))) static void InitOpenSslAtLoad() {
  InitOpenSsl();
}

Result<X509_STORE*> MakeTrustStore(const GetEnvFn& getenv,
                                   const std::string& ca_file,
                                   const std::string& ca_pem,
                                   const std::string& root) {
  InitOpenSsl();
  X509_STORE* store = X509_STORE_new();
  if (!store) return ExtraCaError("Could not create a certificate store.");
  const TrustLocations sys = FindSystemTrust(getenv, root);
  int trusted = 0;
  if (!sys.file.empty()) trusted += std::max(0, AddPemFile(store, sys.file));
  if (!sys.dir.empty()) {
    if (X509_STORE_load_path(store, sys.dir.c_str()) == 1 &&
        HasHashedCerts(sys.dir)) {
      ++trusted;  // loaded lazily, by subject hash
    }
    ERR_clear_error();
  }
  if (const char* extra = NonEmpty(getenv("NODE_EXTRA_CA_CERTS"))) {
    trusted += std::max(0, AddPemFile(store, extra));
  }
  if (!ca_file.empty()) {
    int n = AddPemFile(store, ca_file);
    if (n <= 0) {
      X509_STORE_free(store);
      return ExtraCaError(
          "The extra CA bundle file could not be read as PEM "
          "certificates.");
    }
    trusted += n;
  }
  if (!ca_pem.empty()) {
    BIO* bio = BIO_new_mem_buf(ca_pem.data(), static_cast<int>(ca_pem.size()));
    int n = AddPem(store, bio);
    BIO_free(bio);
    if (n == 0) {
      X509_STORE_free(store);
      return ExtraCaError("The extra CA text holds no PEM certificate.");
    }
    trusted += n;
  }
  if (trusted == 0) {
    X509_STORE_free(store);
    return NoCaError(sys.from_env);
  }
  return store;
}

}  // namespace keyref::http
