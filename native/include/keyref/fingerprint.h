// Key fingerprints: a short keyed digest that lets a person tell two keys
// apart ("is the key in the audit trail the one I rotated?") without
// revealing anything usable for guessing. docs/origins.md, "Fingerprints".
//
// HMAC-SHA-256 of the key under a 32-byte installation key that keyref
// generates once and keeps in the secret store (binding_record.h,
// FingerprintKeyRef): without that key a fingerprint says nothing about the
// key, so the webview or an audit file reader cannot test a guess against
// it. Shown as 48 bits in hex, "3f9a-71c2-0be4": never a prefix, suffix or
// any other piece of the key.
#pragma once

#include <string>

#include "keyref/error.h"
#include "keyref/secret_value.h"

namespace keyref {

// The installation key's length in bytes.
inline constexpr std::size_t kFingerprintKeyBytes = 32;

// A fresh installation key (32 random bytes, as 64 hex characters), or
// INTERNAL when OpenSSL's generator fails. Both run on worker threads: an
// error, never an exception (one escaping a worker ends the process).
Result<SecretValue> NewFingerprintKey();

// The fingerprint of `key` under `installation_key` ("xxxx-xxxx-xxxx"), or
// INTERNAL when HMAC fails.
Result<std::string> KeyFingerprint(const SecretValue& installation_key,
                                   const SecretValue& key);

}  // namespace keyref
