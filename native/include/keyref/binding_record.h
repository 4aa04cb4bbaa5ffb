// The binding recorded when a key is stored: which origins it may go to and
// when it was stored. keyref keeps it as a non-secret record in the same
// store as the key, under a name no apiKeyRef can spell, so that nothing a
// workspace controls (settings, profile files, request options) can write
// or change it (docs/origins.md, "Where the binding is kept").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "keyref/error.h"
#include "keyref/origin.h"
#include "keyref/ref.h"

namespace keyref {

struct BindingRecord {
  std::vector<OriginPattern> origins;
  std::int64_t stored_at_ms = 0;  // Unix time of storeSecret; 0 = unknown
};

// `{"v":1,"origins":["https://…"],"storedAt":1764320000000}`.
std::string SerializeBindingRecord(const BindingRecord& record);
// Parses a record; a record that is not keyref's (bad JSON, an origin that
// does not parse) is an INTERNAL error, and binds nothing.
Result<BindingRecord> ParseBindingRecord(std::string_view json);

// Where `ref`'s record lives: a ref of the same scheme whose name no
// apiKeyRef can spell (it holds ':', which no NAME, SERVICE or ACCOUNT
// may). nullopt for schemes keyref cannot write (env, op, pass): their keys
// are bound by provider defaults and policy.origins only.
//   secret:NAME            -> host store key  "keyref:origins:NAME"
//   file:NAME              -> file entry      "keyref:origins:NAME"
//   keyring:[SERVICE/]ACCT -> keyring item    service "keyref:origins",
//                                             account "SERVICE/ACCT"
std::optional<ParsedRef> BindingRecordRef(const ParsedRef& ref,
                                          std::string_view keyring_service);

// The same for the installation's fingerprint key (fingerprint.h):
// "keyref:fingerprint-key" in the host store, or the keyring item with
// service "keyref:fingerprint-key", account "v1".
ParsedRef FingerprintKeyRef(Scheme scheme);

}  // namespace keyref
