// StreamScrubber: scrubs a stream chunk by chunk, holding back the tail that
// could be the start of a secret, a pattern or a header line (see
// keyref/redactor.h for the contract).
#include <algorithm>
#include <string>

#include "keyref/redactor.h"
#include "keyref/secret_value.h"

namespace keyref {
namespace {

// Bytes that end a token a credential shape or an encoded secret could be
// part of (shapes are made of letters, digits and - _ + / = . ~; escaped
// secrets of those and % and \; the ones with blanks, Bearer and PEM, start
// within the held-back tail or touch the end as spans).
inline bool EndsToken(char c) {
  unsigned char u = static_cast<unsigned char>(c);
  bool shape_byte = (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') ||
                    (u >= '0' && u <= '9') || u == '-' || u == '_' ||
                    u == '+' || u == '/' || u == '=' || u == '.' || u == '~' ||
                    u == '%' || u == '\\';
  return !shape_byte;
}

inline bool IsBlank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// The token before `cut` (after blanks), when it may name a credential
// whose value starts at `cut`: it ends in ':' or '=' (perhaps after a
// quote), or it is "Bearer". Returns where it starts, or `cut`.
std::size_t NameBefore(std::string_view t, std::size_t cut, std::size_t floor) {
  std::size_t j = cut;
  while (j > floor && IsBlank(t[j - 1])) --j;
  std::size_t end = j;
  while (j > floor && !IsBlank(t[j - 1])) --j;
  std::string_view token = t.substr(j, end - j);
  if (token.empty()) return cut;
  char last = token.back();
  bool names = last == ':' || last == '=' || last == '"' || last == '\'';
  if (token.size() == 6) {
    std::string lower(token);
    for (char& c : lower) c = static_cast<char>(c | 0x20);
    names = names || lower == "bearer";
  }
  return names ? j : cut;
}

}  // namespace

StreamScrubber::~StreamScrubber() { SecureZero(carry_.data(), carry_.size()); }

std::string StreamScrubber::Write(std::string_view chunk) {
  if (carry_.size() + chunk.size() > carry_.capacity()) {
    // Grow by hand so the old buffer, which may hold part of a secret, is
    // wiped rather than freed as it is.
    std::string bigger;
    bigger.reserve(
        std::max(carry_.capacity() * 2, carry_.size() + chunk.size()));
    bigger.append(carry_);
    SecureZero(carry_.data(), carry_.size());
    carry_.swap(bigger);
  }
  carry_.append(chunk);
  const std::size_t n = carry_.size();
  std::vector<Redactor::Span> spans;
  redactor_.FindSpans(carry_, &spans);

  std::size_t cut = n > holdback_ ? n - holdback_ : 0;
  const std::size_t floor = n > kMaxCarry ? n - kMaxCarry : 0;
  // Back to the start of the token the cut falls in: a shape is judged on
  // the whole token.
  while (cut > floor && !EndsToken(carry_[cut - 1])) --cut;
  // And over a credential name just before it (up to three tokens:
  // `"x-api-key": "`, `Authorization: Bearer `), which the header rule needs
  // to see with its value.
  for (int k = 0; k < 3; ++k)
    cut = std::max(floor, NameBefore(carry_, cut, floor));
  // Never cut through a span, and hold a span that touches the end (from
  // its header name, when it has one) until it is complete.
  for (auto it = spans.rbegin(); it != spans.rend(); ++it) {
    // A header value is trimmed of trailing blanks: one followed only by
    // blanks may still grow when the line goes on.
    std::size_t after = it->end;
    while (after < n && (carry_[after] == ' ' || carry_[after] == '\t')) {
      ++after;
    }
    if (after >= n || (it->hold_from < cut && it->end > cut)) {
      cut = std::min(cut, it->hold_from);
    }
  }
  if (cut < floor) cut = floor;  // forced flush: the carry stays bounded
  // Never inside a UTF-8 sequence: each side must stay valid UTF-8.
  for (int k = 0; k < 3 && cut > 0 && cut < n &&
                  (static_cast<unsigned char>(carry_[cut]) & 0xC0) == 0x80;
       ++k) {
    --cut;
  }

  std::vector<Redactor::Span> head;
  for (const Redactor::Span& s : spans) {
    if (s.begin >= cut) break;
    head.push_back({s.begin, std::min(s.end, cut), s.hold_from});
  }
  std::string emit;
  Redactor::Render(std::string_view(carry_).substr(0, cut), head, &emit);
  // Keep the tail in a fresh buffer and wipe the old one whole.
  std::string tail;
  tail.reserve(std::max<std::size_t>(2 * kHoldback, n - cut));
  tail.append(carry_, cut, n - cut);
  SecureZero(carry_.data(), carry_.size());
  carry_.swap(tail);
  return emit;
}

std::string StreamScrubber::Release() {
  std::string out;
  out.swap(carry_);
  return out;
}

std::string StreamScrubber::Finish() {
  std::string out = redactor_.Redact(carry_);
  SecureZero(carry_.data(), carry_.size());
  carry_.clear();
  return out;
}

}  // namespace keyref
