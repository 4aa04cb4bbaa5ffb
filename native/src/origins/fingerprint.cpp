// Keyed key fingerprints (fingerprint.h, docs/origins.md "Fingerprints").
#include "keyref/fingerprint.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <array>

namespace keyref {
namespace {

constexpr char kHex[] = "0123456789abcdef";

}  // namespace

Result<SecretValue> NewFingerprintKey() {
  std::array<unsigned char, kFingerprintKeyBytes> raw{};
  if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1) {
    return Error(ErrorCode::kInternal,
                 "Could not make a fingerprint key: the random generator "
                 "failed.",
                 "Try again; if it persists, report it with the log.");
  }
  std::array<char, kFingerprintKeyBytes * 2> text{};
  for (std::size_t i = 0; i < raw.size(); ++i) {
    text[2 * i] = kHex[raw[i] >> 4];
    text[2 * i + 1] = kHex[raw[i] & 15];
  }
  SecretValue out = SecretValue::FromBytes(text.data(), text.size());
  SecureZero(raw.data(), raw.size());
  SecureZero(text.data(), text.size());
  return out;
}

Result<std::string> KeyFingerprint(const SecretValue& installation_key,
                                   const SecretValue& key) {
  // HMAC-SHA-256(installation key, key). The installation key serves
  // nothing else, so no domain label is needed; a later format would get a
  // new key name (binding_record.h, FingerprintKeyRef) instead.
  std::string_view ik = installation_key.Reveal();
  std::string_view k = key.Reveal();
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int len = 0;
  if (!HMAC(EVP_sha256(), ik.data(), static_cast<int>(ik.size()),
            reinterpret_cast<const unsigned char*>(k.data()), k.size(),
            mac.data(), &len) ||
      len < 6) {
    SecureZero(mac.data(), mac.size());
    return Error(ErrorCode::kInternal,
                 "Could not compute a key fingerprint: HMAC failed.",
                 "Try again; if it persists, report it with the log.");
  }
  std::string out;
  for (int i = 0; i < 6; ++i) {
    if (i == 2 || i == 4) out.push_back('-');
    out.push_back(kHex[mac[i] >> 4]);
    out.push_back(kHex[mac[i] & 15]);
  }
  SecureZero(mac.data(), mac.size());
  return out;
}

}  // namespace keyref
