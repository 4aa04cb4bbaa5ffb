// The CA certificates TLS connections trust: the system's bundle, found on
// every common Linux layout (the prebuilt addon carries its own OpenSSL,
// whose compiled-in directory means nothing on the host), plus
// NODE_EXTRA_CA_CERTS and a request's own extra CAs. Not a public header.
// docs/building.md ("CA certificates").
#pragma once

#include <openssl/x509.h>

#include <functional>
#include <string>
#include <vector>

#include "keyref/error.h"

namespace keyref::http {

/// Reads an environment variable; null when unset.
using GetEnvFn = std::function<const char*(const char*)>;

/// The bundle files tried, in order, when SSL_CERT_FILE and SSL_CERT_DIR
/// are unset: Debian/Ubuntu, Fedora/RHEL, openSUSE, Alpine, Arch, ...
const std::vector<const char*>& SystemBundleFiles();

/// Where the system's CAs are.
struct TrustLocations {
  std::string file;       // a PEM bundle, or empty
  std::string dir;        // an OpenSSL hashed directory, or empty
  bool from_env = false;  // SSL_CERT_FILE / SSL_CERT_DIR said so
};

/// SSL_CERT_FILE / SSL_CERT_DIR when either is set (as OpenSSL reads them);
/// else the first of SystemBundleFiles() that exists under `root` ("" is
/// /), and /etc/ssl/certs when it holds hashed certificates.
TrustLocations FindSystemTrust(const GetEnvFn& getenv,
                               const std::string& root = "");

/// Keeps OpenSSL from reading the host's openssl.cnf (OPENSSL_CONF or the
/// compiled-in directory): its settings are not keyref's to inherit.
/// Idempotent; called before any TLS object is made.
void InitOpenSsl();

/// A new store: the system's CAs, NODE_EXTRA_CA_CERTS (added, as Node
/// does; unreadable is ignored, as Node does), then `ca_file` and `ca_pem`.
/// TLS_FAILED when it would trust nothing, or when an extra CA given here is
/// not PEM. The caller owns the store.
/// `root` as for FindSystemTrust (tests).
Result<X509_STORE*> MakeTrustStore(const GetEnvFn& getenv,
                                   const std::string& ca_file,
                                   const std::string& ca_pem,
                                   const std::string& root = "");

}  // namespace keyref::http
