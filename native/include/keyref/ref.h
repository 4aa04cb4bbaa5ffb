// The apiKeyRef v1 format: parsing and validation against a scheme
// allow-list. docs/apikeyref.md is the reference for every rule here.
//
// An apiKeyRef names where a key lives; it never holds the key. There is no
// literal form and no guessing: a string means what its scheme says, and
// anything else is refused with exactly one ErrorCode.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "keyref/credential_shape.h"
#include "keyref/error.h"
#include "keyref/table.h"

namespace keyref {

// The schemes of the v1 format. The order is part of the addon's wire format
// (addon/src/ref_binding.cc); append only.
enum class Scheme : std::uint8_t {
  kSecret = 0,  // secret:NAME     host secret store (VS Code SecretStorage)
  kEnv,         // env:NAME        process environment
  kKeyring,     // keyring:[SERVICE/]ACCOUNT   OS keyring (libsecret)
  kOp,          // op://VAULT/ITEM/[SECTION/]FIELD   1Password CLI
  kPass,        // pass:PATH       pass(1)
  kFile,        // file:NAME       opt-in 0600 plaintext JSON file
};
inline constexpr int kSchemeCount = 6;
inline constexpr std::size_t kMaxRefLength = 256;

// One row of the scheme table.
struct SchemeInfo {
  Scheme scheme;
  std::string_view name;  // "secret", "env", …
  // Enabled when a policy says nothing. Schemes that reach outside the
  // editor's own stores (op, pass, file) are opt-in.
  bool default_enabled;
  // The documented form, e.g. "keyring:[SERVICE/]ACCOUNT".
  std::string_view form;
  // storeSecret/deleteSecret can write to its source (the others answer
  // SOURCE_DENIED; test/native/source_conformance_test.cpp checks both).
  bool writable;
};

// THE list of schemes, in enum order. SchemeName, SchemeSet::Default, the
// addon's `catalog.schemes`, the TypeScript `RefScheme` union, the schemas
// and the table in docs/apikeyref.md derive from it;
// test/node/catalog_drift.test.js fails when one disagrees. Adding a scheme:
// docs/architecture.md, "Adding a scheme".
inline constexpr SchemeInfo kSchemes[] = {
    {Scheme::kSecret, "secret", true, "secret:NAME", true},
    {Scheme::kEnv, "env", true, "env:NAME", false},
    {Scheme::kKeyring, "keyring", true, "keyring:[SERVICE/]ACCOUNT", true},
    {Scheme::kOp, "op", false, "op://VAULT/ITEM/[SECTION/]FIELD", false},
    {Scheme::kPass, "pass", false, "pass:PATH", false},
    {Scheme::kFile, "file", false, "file:NAME", true},
};
static_assert(sizeof(kSchemes) / sizeof(kSchemes[0]) == kSchemeCount,
              "kSchemes must have one row per Scheme");
static_assert(RowsInEnumOrder(kSchemes,
                              [](const SchemeInfo& r) { return r.scheme; }),
              "kSchemes must be in enum order");

// "secret", "env", …
const char* SchemeName(Scheme scheme) noexcept;
// Exact, case-sensitive lookup. Returns false for anything else.
bool SchemeFromName(std::string_view name, Scheme* out) noexcept;

// The set of schemes a policy allows.
class SchemeSet {
 public:
  constexpr SchemeSet() = default;
  // The schemes enabled when a policy says nothing (kSchemes'
  // default_enabled: secret, env and keyring).
  static constexpr SchemeSet Default() {
    SchemeSet set;
    for (const SchemeInfo& s : kSchemes) {
      if (s.default_enabled) set.Add(s.scheme);
    }
    return set;
  }
  static constexpr SchemeSet All() { return SchemeSet(kAllBits); }
  static constexpr SchemeSet FromBits(std::uint8_t bits) {
    return SchemeSet(bits & kAllBits);
  }
  constexpr bool Has(Scheme s) const {
    return bits_ & (1u << static_cast<int>(s));
  }
  constexpr void Add(Scheme s) {
    bits_ = static_cast<std::uint8_t>(bits_ | (1u << static_cast<int>(s)));
  }
  constexpr std::uint8_t bits() const { return bits_; }

 private:
  static constexpr std::uint8_t kAllBits = (1u << kSchemeCount) - 1;
  constexpr explicit SchemeSet(std::uint8_t bits) : bits_(bits) {}
  std::uint8_t bits_ = 0;
};

// Which rule a refused ref broke; refines REF_BAD_CHAR and REF_BAD_NAME.
// Append only: the numbers cross into the addon.
enum class RefRule : std::uint8_t {
  kNone = 0,
  kWhitespace,       // REF_BAD_CHAR
  kControl,          // REF_BAD_CHAR
  kNonAscii,         // REF_BAD_CHAR
  kNameEmpty,        // the part after the scheme is empty
  kNameTooLong,      // secret/file NAME > 128, env NAME > 128
  kCharNotAllowed,   // a character outside the scheme's set
  kSegmentEmpty,     // "a//b", leading or trailing "/"
  kSegmentDot,       // a "." segment
  kSegmentDotDot,    // a ".." segment
  kLeadingDash,      // a segment that starts with "-"
  kEnvFirstChar,     // env NAME starts with a digit
  kServiceTooLong,   // keyring SERVICE > 64
  kAccountTooLong,   // keyring ACCOUNT > 128
  kTooManySegments,  // keyring with two "/", op with more than 4 segments
  kTooFewSegments,   // op with fewer than 3 segments
  kOpForm,           // "op:" not followed by "//"
  kQueryString,      // "?" or "#" in an op ref
  kSegmentTooLong,   // op segment > 64
  kBadSpace,         // op segment with a leading, trailing or doubled space
};

// A view of a valid ref's parts, pointing into the checked input.
struct RefParts {
  std::string_view name;     // everything after "scheme:" ("op://" for op)
  std::string_view service;  // keyring: may be empty (use the default)
  std::string_view account;  // keyring
  std::string_view vault;    // op
  std::string_view item;     // op
  std::string_view section;  // op: may be empty
  std::string_view field;    // op
};

// The verdict on one input. Cheap to produce: no allocation.
struct RefCheck {
  ErrorCode code = ErrorCode::kOk;
  RefRule rule = RefRule::kNone;
  Scheme scheme = Scheme::kSecret;  // meaningful when scheme_known
  bool scheme_known = false;
  // For REF_UNKNOWN_SCHEME: the known scheme it matches ignoring case.
  bool case_mismatch = false;
  // 1-based character position of the offending character, 0 if none.
  std::uint32_t position = 0;
  CredentialFamily family = CredentialFamily::kNone;  // REF_LITERAL_SECRET
  RefParts parts;

  bool ok() const { return code == ErrorCode::kOk; }
};

// Checks `input` against the v1 rules and the allowed schemes. `truncated`
// says the caller passed only the start of a longer string (the addon does so
// for inputs over 4 KiB). Never throws, never allocates.
RefCheck CheckRef(std::string_view input, SchemeSet allowed,
                  bool truncated = false) noexcept;

// The message and hint for a refused check. Neither contains the input or
// any piece of it; they may name the scheme, the rule and the position.
Error DescribeRefError(const RefCheck& check);

// An owning, validated ref (an apiKeyRef): what the rest of the core passes
// around. It names WHERE a key lives and never holds one: CheckRef refuses
// anything shaped like a credential, so a ParsedRef is safe to log, persist
// and show, which a key never is.
struct ParsedRef {
  Scheme scheme = Scheme::kSecret;
  std::string ref;  // the full ref as given
  std::string name;
  std::string service;
  std::string account;
  std::string vault;
  std::string item;
  std::string section;
  std::string field;
};

// CheckRef plus DescribeRefError plus copying the parts.
Result<ParsedRef> ParseRef(std::string_view input,
                           SchemeSet allowed = SchemeSet::Default());

}  // namespace keyref
