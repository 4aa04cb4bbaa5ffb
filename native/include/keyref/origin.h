// Origins a key may be sent to, and the check that refuses every other one.
// docs/origins.md is the reference: where bindings come from (provider
// defaults, the record written at store time, policy.origins), the pattern
// grammar, and why a workspace file can never add one.
//
// The check runs in native code on the final target (scheme, host, port),
// right before the key is written into the request; it is also run before
// the key is resolved, so a refused target never even unlocks a keyring.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "keyref/base_url.h"
#include "keyref/error.h"
#include "keyref/live_secret.h"
#include "keyref/provider.h"
#include "keyref/ref.h"

namespace keyref {

// One allowed origin: "https://api.openai.com", "http://127.0.0.1:8080", or
// a wildcard for exactly one leftmost DNS label,
// "https://*.openai.azure.com" (matches a.openai.azure.com, not
// openai.azure.com nor a.b.openai.azure.com). Never a path, query, user
// info or a port wildcard.
struct OriginPattern {
  bool tls = true;
  bool wildcard = false;  // `host` is then the part after "*."
  std::string host;       // lower-case; IPv6 without brackets
  int port = 443;         // explicit or the scheme's default

  // The canonical text: the port is written only when it is not the
  // scheme's default ("https://api.openai.com", "http://127.0.0.1:8080").
  std::string ToString() const;
  // True when `target`'s scheme, host and port are this origin's. An https
  // pattern never matches an http target, nor the other way round.
  bool Matches(const BaseUrl& target) const;
};

// Parses an origin pattern (BAD_ORIGIN on anything else, with a message
// naming the rule, never quoting the input). Rules: scheme http or https
// (lower-case); https for every non-loopback host (an http origin may only be
// 127.0.0.0/8, ::1 or localhost); a wildcard only as the whole leftmost
// label, only with https, followed by at least two labels; no path other
// than a single trailing "/", no query, fragment, user info or whitespace.
Result<OriginPattern> ParseOriginPattern(std::string_view text);

// The origin of a parsed base URL as a pattern (exact, never a wildcard).
OriginPattern OriginOf(const BaseUrl& url);

// True for 127.0.0.0/8, ::1 and "localhost".
bool IsLoopbackHost(std::string_view host) noexcept;

// Where an allowed origin came from (docs/origins.md, "Where bindings come
// from"). None of them is a workspace file or a request option.
enum class OriginSource {
  kProviderDefault = 0,  // the provider table (provider.h)
  kStored,               // recorded by storeSecret / bindOrigins / the CLI
  kPolicy,               // policy.origins given at construction
};
const char* OriginSourceName(OriginSource source) noexcept;

struct BoundOrigin {
  OriginPattern pattern;
  OriginSource source = OriginSource::kStored;
};

// Everything one key may be sent to when used for one provider.
struct KeyBinding {
  std::vector<BoundOrigin> origins;

  bool Allows(const BaseUrl& target) const;
  // The canonical texts, duplicates removed, in source order.
  std::vector<std::string> OriginTexts() const;
};

// The check. KEY_ORIGIN_UNBOUND when `binding` is empty (the key may go
// nowhere yet), KEY_ORIGIN_DENIED when no origin matches `target`. The
// message names the ref, the provider and the refused origin; the hint says
// how to bind it. Neither ever holds a value.
Status CheckKeyOrigin(const KeyBinding& binding, const ParsedRef& ref,
                      Provider provider, const BaseUrl& target);

// A resolved key together with the origins it may be written to: what the
// request builder's KeyResolver hands back (http_client.h). The builder
// checks `binding` against the final target right before the write.
struct KeyGrant {
  LiveSecret key;
  KeyBinding binding;
};

}  // namespace keyref
