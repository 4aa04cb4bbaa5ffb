// Why a send produced no whole response, as a keyref Error. Split out of
// http_client.cpp: the mapping from httplib's errors is a table of its own.
#include <openssl/x509.h>

#include "http/http_runtime.h"

namespace keyref::http {

Error DescribeSendFailure(httplib::Error herr, const Attempt& at,
                          const BaseUrl& url, bool via_proxy,
                          long tls_verify_result,
                          std::chrono::milliseconds read_timeout,
                          std::size_t max_body_bytes) {
  Error e;
  if (at.head_too_large && herr != httplib::Error::Canceled) {
    // httplib stops reading a head line of more than
    // CPPHTTPLIB_HEADER_MAX_LENGTH bytes and a head of more than
    // CPPHTTPLIB_HEADER_MAX_COUNT fields (third_party/patches), so that what
    // a server sends there cannot grow memory (or, in a status line, the
    // stack) without bound.
    return Error(ErrorCode::kResponseTooLarge,
                 "The response head from " + url.Origin() +
                     " is larger than keyref reads (a line of more than " +
                     std::to_string(CPPHTTPLIB_HEADER_MAX_LENGTH) +
                     " bytes or more than " +
                     std::to_string(CPPHTTPLIB_HEADER_MAX_COUNT) +
                     " header fields).",
                 "Check that baseUrl points at the provider's API.");
  }
  switch (herr) {
    case httplib::Error::Connection:
      e = via_proxy
              ? Error(ErrorCode::kProxyFailed,
                      "Could not connect to the proxy.",
                      "Check the proxy setting (http.proxy, HTTPS_PROXY).")
              : Error(ErrorCode::kConnectFailed,
                      "Could not connect to " + url.Origin() + ".",
                      "Check baseUrl and that the server is running.");
      break;
    case httplib::Error::ConnectionTimeout:
      e = Error(ErrorCode::kRequestTimeout,
                "Connecting to " + url.Origin() +
                    " took longer than connectTimeoutMs.");
      break;
    case httplib::Error::SSLConnection:
    case httplib::Error::SSLLoadingCerts:
    case httplib::Error::SSLServerVerification: {
      if (via_proxy && herr == httplib::Error::SSLConnection) {
        // httplib 0.11 goes on to the TLS handshake after a refused
        // CONNECT and does not keep the proxy's answer, so the two causes
        // below cannot be told apart here.
        e = Error(ErrorCode::kProxyFailed,
                  "No TLS connection could be made through the proxy: it "
                  "refused the tunnel (CONNECT), or the server does not "
                  "speak TLS.",
                  "Check the proxy setting and its credentials, and that "
                  "baseUrl is right.");
        break;
      }
      std::string why;
      if (url.tls && tls_verify_result != X509_V_OK) {
        why = std::string(": ") +
              X509_verify_cert_error_string(tls_verify_result);
      }
      e = Error(ErrorCode::kTlsFailed,
                "The TLS connection to " + url.Origin() + " failed" +
                    (herr == httplib::Error::SSLServerVerification
                         ? " certificate verification" + why
                         : std::string(why)) +
                    ".",
                "If the server uses a private CA, give it to the Sidecar as "
                "policy.caFile or policy.ca; verification is never turned "
                "off.");
      break;
    }
    case httplib::Error::Canceled:
      // The caps keep memory bounded whatever a server sends
      // (docs/reliability.md); both close the connection.
      if (at.too_big) {
        e = Error(ErrorCode::kResponseTooLarge,
                  "The response body is larger than keyref keeps (" +
                      std::to_string(max_body_bytes) + " bytes).",
                  "Stream it with onEvent or ask for less.");
      } else {
        e = Error(ErrorCode::kResponseTooLarge,
                  "A server-sent event or line is larger than keyref keeps (" +
                      std::to_string(SseParser::kMaxLineBytes) + " bytes).",
                  "Check that the server sends an event stream.");
      }
      break;
    default: {
      auto idle = std::chrono::steady_clock::now() - at.last_byte;
      if (idle + std::chrono::milliseconds(50) >= read_timeout) {
        e = Error(ErrorCode::kRequestTimeout,
                  at.got_headers
                      ? "The server stopped sending for longer than "
                        "readTimeoutMs."
                      : "The server did not answer within readTimeoutMs.");
      } else if (at.got_headers) {
        e = Error(ErrorCode::kConnectFailed,
                  "The connection closed before the response was complete.",
                  "The server or a proxy dropped the connection.");
      } else {
        e = Error(ErrorCode::kConnectFailed,
                  "The connection to " + url.Origin() +
                      " closed before a response arrived (" +
                      httplib::to_string(herr) + ").");
      }
    }
  }
  return e;
}

}  // namespace keyref::http
