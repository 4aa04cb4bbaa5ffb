// Where the CLI keeps keys: the backends (keyring, file, pass, op, env),
// the ref each one gives a NAME, their state with actionable hints, and the
// writes the core does not do (pass insert / pass rm).
//
// The refs made here are what a profile's apiKeyRef may contain: a
// reference such as keyring:keyref/NAME, never a key (invariant 1, 7).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli.h"
#include "config.h"
#include "keyref/instance.h"
#include "keyref/origin.h"
#include "keyref/ref.h"
#include "keyref/secret_value.h"

namespace keyref::cli {

enum class Backend { kKeyring = 0, kFile, kPass, kOp, kEnv };
inline constexpr Backend kAllBackends[] = {Backend::kKeyring, Backend::kFile,
                                           Backend::kPass, Backend::kOp,
                                           Backend::kEnv};

// The keyring service and pass folder the CLI writes under.
inline constexpr const char* kService = "keyref";

const char* BackendName(Backend b) noexcept;
bool BackendFromName(const std::string& name, Backend* out) noexcept;
Scheme SchemeOf(Backend b) noexcept;
// keyring, file and pass can be written; op and env cannot.
bool IsWritable(Backend b) noexcept;
// "the keyring", "the plaintext secrets file", …
const char* BackendPlace(Backend b) noexcept;

// A NAME for `secret set`: 1-64 of [A-Za-z0-9._-], not starting with '-' or
// '.', and not shaped like a key (a key pasted where its name belongs is
// refused as REF_LITERAL_SECRET, never echoed, and wiped from argv).
bool CheckSecretName(Context& ctx, const std::string& name, CliError* err);

// The ref for NAME in a backend: keyring:keyref/NAME, file:NAME,
// pass:keyref/NAME. (A ref, never a key.)
std::string RefFor(Backend b, const std::string& name);
// The reverse, for refs the CLI makes: false for any other ref.
bool NameFromRef(const ParsedRef& ref, Backend* b, std::string* name);

// The default backend of the config, validated.
Backend DefaultBackend(const Config& config);

// The policy the CLI resolves with: every scheme but file, which is
// opt-in (`keyref backend set file`), as for the library.
Policy CliPolicy(const Config& config);

// One backend's state for `backend show` and the hints of other commands.
struct BackendState {
  Backend backend = Backend::kKeyring;
  bool enabled = true;
  bool is_default = false;
  // reachable, locked, unavailable or disabled
  std::string state;
  std::string reason;  // one line; empty when reachable
  std::string hint;    // what to do; empty when reachable
};
BackendState ProbeBackend(Backend b, const Config& config, Instance& inst);

// Stores / removes NAME's value in a writable backend. keyring and file go
// through Instance::Store; pass through `pass insert` (the core's pass
// source is read-only).
// `origins` are recorded with the key where the backend keeps binding
// records (keyring, file; docs/origins.md), together with the origins
// already recorded for NAME: storing a new key under a name keeps where
// that name's key may go (rotation), and --origin adds to it.
Status StoreInBackend(Instance& inst, Backend b, const std::string& name,
                      const SecretValue& value,
                      const std::vector<OriginPattern>& origins);
// Adds `origins` to those recorded for `ref` (Instance::Bind).
Status AddBinding(Instance& inst, const ParsedRef& ref,
                  const std::vector<OriginPattern>& origins);

// What `secret get`, `secret list` and `profile use` show about a key:
// never the value, nor anything that would let one guess part of it.
struct KeyInfo {
  Status check;                      // resolves? else the code that stops it
  std::string fingerprint;           // empty when it did not resolve
  std::string length_class;          // short (<20), medium (20-63), long (64+)
  std::string shape;                 // the credential family, or "unrecognised"
  std::vector<std::string> origins;  // where it may be sent
  // Origins a stored binding record names for ANOTHER key (the key was
  // replaced without its record, say by keytar): not applied, shown so a
  // person can bind them again on purpose (docs/origins.md, "Which key a
  // binding belongs to").
  std::vector<std::string> replaced_origins;
  // Why the stored binding record binds nothing (an origin in it no longer
  // parses: BAD_ORIGIN), with a hint; `origins` then lacks the stored ones.
  std::optional<Error> binding_problem;
  std::string stored_at;  // ISO 8601 UTC, or empty when unknown
};
// The CLI's words for a KeyInfo's binding_problem: the core's code and
// message, and a hint naming the command that binds the key again.
CliError BindingProblemError(const Error& problem);
// Resolves `ref` and describes it. `provider` (may be empty) adds that
// provider's default origin.
KeyInfo DescribeKey(Instance& inst, const ParsedRef& ref,
                    const std::string& provider);

// Parses --origin values (origin patterns, docs/origins.md).
bool ParseOrigins(const std::vector<std::string>& in,
                  std::vector<OriginPattern>* out, CliError* err);
// The canonical texts of patterns.
std::vector<std::string> OriginTexts(const std::vector<OriginPattern>& in);
Status DeleteFromBackend(Instance& inst, Backend b, const std::string& name);

// The CLI's hint for a failure to resolve `ref`: names the keyref command
// that fixes it (keyref secret set NAME, keyref backend set file, unlocking
// the keyring). Falls back to the core's hint.
std::string HintFor(const ParsedRef& ref, const Error& e, const Config& config);

// Why a secret: ref cannot be used from a terminal.
CliError SecretSchemeError(const std::string& ref_text);

// One ref's verdict for `check` and `profile check`: resolvable, or the
// code and hint that stop it. `shown` is the ref as it may be displayed:
// empty when the input looked like a key (it is never echoed).
struct Verdict {
  bool ok = false;
  std::string shown;
  std::string scheme;  // empty when the input did not parse
  KeyInfo info;
  CliError error;
};
Verdict CheckOneRef(Instance& inst, const Config& config, std::string_view text,
                    const std::string& provider);
Json VerdictJson(const Verdict& v);

// True when no D-Bus session bus is configured in the environment.
bool NoSessionBus();

}  // namespace keyref::cli
