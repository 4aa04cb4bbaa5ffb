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

  std::size_t cut = n > kHoldback ? n - kHoldback : 0;
  const std::size_t floor = n > kMaxCarry ? n - kMaxCarry : 0;
  // Back to the start of the token the cut falls in: a shape is judged on
  // the whole token.
  while (cut > floor && !EndsToken(carry_[cut - 1])) --cut;
  // Never cut through a span, and hold a span that touches the end (from
  // its header name, when it has one) until it is complete.
  for (auto it = spans.rbegin(); it != spans.rend(); ++it) {
    if (it->end >= n || (it->hold_from < cut && it->end > cut)) {
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
