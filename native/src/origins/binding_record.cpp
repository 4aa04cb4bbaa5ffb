// The binding record kept next to a stored key (binding_record.h). It holds
// no secret; it lives in the secret store because that is the one place a
// workspace file cannot reach (docs/origins.md).
#include "keyref/binding_record.h"

#include <nlohmann/json.hpp>

namespace keyref {
namespace {

// "xxxx-xxxx-xxxx", lower-case hex (fingerprint.h).
bool IsFingerprint(std::string_view s) {
  if (s.size() != 14) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool ok = (i == 4 || i == 9)
                        ? c == '-'
                        : (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    if (!ok) return false;
  }
  return true;
}

}  // namespace

std::string SerializeBindingRecord(const BindingRecord& record) {
  nlohmann::json j;
  j["v"] = 1;
  j["origins"] = nlohmann::json::array();
  for (const OriginPattern& o : record.origins) {
    j["origins"].push_back(o.ToString());
  }
  j["storedAt"] = record.stored_at_ms;
  if (!record.key_fingerprint.empty()) j["key"] = record.key_fingerprint;
  return j.dump();
}

Result<BindingRecord> ParseBindingRecord(std::string_view json) {
  const Error bad(ErrorCode::kInternal,
                  "keyref's binding record for this key is not readable; it "
                  "binds nothing.",
                  "Store the key again with its origins.");
  nlohmann::json j = nlohmann::json::parse(json, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return bad;
  // Checked by type first: json::value() throws on a "v" of another type
  // ({"v":"1"} in a hand-edited file), and that would escape Grant.
  auto v = j.find("v");
  if (v == j.end() || !v->is_number_integer() || v->get<std::int64_t>() != 1) {
    return bad;
  }
  BindingRecord out;
  auto origins = j.find("origins");
  if (origins == j.end() || !origins->is_array()) return bad;
  for (const auto& o : *origins) {
    if (!o.is_string()) return bad;
    Result<OriginPattern> p = ParseOriginPattern(o.get<std::string>());
    if (!p) {
      // Which one, not its text: the entry could hold anything.
      return Error(ErrorCode::kBadOrigin,
                   "keyref's binding record for this key holds an origin "
                   "that no longer parses (origin " +
                       std::to_string(out.origins.size() + 1) + " of " +
                       std::to_string(origins->size()) +
                       "); the record binds nothing.",
                   "Bind the key again with the origins it may go to.");
    }
    out.origins.push_back(std::move(p).value());
  }
  auto at = j.find("storedAt");
  if (at != j.end() && at->is_number_integer()) {
    out.stored_at_ms = at->get<std::int64_t>();
  }
  auto key = j.find("key");
  if (key != j.end()) {
    if (!key->is_string() || !IsFingerprint(key->get<std::string>())) {
      return bad;
    }
    out.key_fingerprint = key->get<std::string>();
  }
  return out;
}

std::optional<ParsedRef> BindingRecordRef(const ParsedRef& ref,
                                          std::string_view keyring_service) {
  // Every name below holds ':', which no apiKeyRef NAME, SERVICE or ACCOUNT
  // may (docs/apikeyref.md): no ref can read or overwrite a record.
  ParsedRef out;
  out.scheme = ref.scheme;
  switch (ref.scheme) {
    case Scheme::kSecret:
    case Scheme::kFile:
      out.name = "keyref:origins:" + ref.name;
      break;
    case Scheme::kKeyring:
      out.service = "keyref:origins";
      out.account =
          (ref.service.empty() ? std::string(keyring_service) : ref.service) +
          "/" + ref.account;
      out.name = out.service + "/" + out.account;
      break;
    default:
      return std::nullopt;
  }
  out.ref = std::string(SchemeName(ref.scheme)) + ":" + out.name;
  return out;
}

ParsedRef FingerprintKeyRef(Scheme scheme) {
  ParsedRef out;
  out.scheme = scheme;
  if (scheme == Scheme::kKeyring) {
    out.service = "keyref:fingerprint-key";
    out.account = "v1";
    out.name = out.service + "/" + out.account;
  } else {
    out.name = "keyref:fingerprint-key";
  }
  out.ref = std::string(SchemeName(scheme)) + ":" + out.name;
  return out;
}

}  // namespace keyref
