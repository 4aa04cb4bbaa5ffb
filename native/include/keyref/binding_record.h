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
  // The fingerprint (fingerprint.h, "xxxx-xxxx-xxxx") of the key these
  // origins were recorded for. The origins apply only to that key: a key
  // stored since (by another process, or between this process's two
  // writes) is not bound by them (docs/origins.md, "Which key a binding
  // belongs to"). Empty in records written before keyref recorded it, and
  // when origins were bound before any key was stored: such a record
  // applies to whatever key is stored.
  std::string key_fingerprint;

  // True when the origins apply to the key whose fingerprint is `fp`.
  bool AppliesTo(std::string_view fp) const {
    return key_fingerprint.empty() || key_fingerprint == fp;
  }
};

// `{"v":1,"origins":["https://…"],"storedAt":1764320000000,
//   "key":"3f9a-71c2-0be4"}` ("key" only when known).
std::string SerializeBindingRecord(const BindingRecord& record);
// Parses a record; a record that is not keyref's (bad JSON, a "key" that is
// not a fingerprint) is an INTERNAL error, and binds nothing. An origin that
// no longer parses (a hand-edited store, a rule that got stricter) is
// BAD_ORIGIN, saying which of the record's origins, never its text (a
// store entry may hold anything); the whole record binds nothing then, not
// the rest of it: a key is never sent on half a binding. A record without
// "key" parses (an older record).
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
