#include "keyref/key_scrubber.h"

#include <utility>
#include <vector>

#include "keyref/redactor.h"
#include "redaction/internal.h"

namespace keyref {

KeyScrubber::KeyScrubber(const SecretValue& key) {
  std::string_view k = key.Reveal();
  if (k.size() < redaction::kMinFingerprinted) {
    if (!k.empty()) short_key_ = key.Clone();
    return;
  }
  const redaction::Keys keys = redaction::Keys::Random();
  redaction::ValuePrints prints;
  redaction::FingerprintValue(keys, k, &prints);
  prints_ = redaction::PrintSet::Build(keys, {&prints});
}

KeyScrubber::~KeyScrubber() { Wipe(); }

KeyScrubber::KeyScrubber(KeyScrubber&& other) noexcept
    : prints_(std::move(other.prints_)),
      short_key_(std::move(other.short_key_)) {}

KeyScrubber& KeyScrubber::operator=(KeyScrubber&& other) noexcept {
  if (this != &other) {
    Wipe();
    prints_ = std::move(other.prints_);
    short_key_ = std::move(other.short_key_);
  }
  return *this;
}

void KeyScrubber::Wipe() noexcept {
  prints_.reset();
  short_key_.Wipe();
}

bool KeyScrubber::Scrub(std::string_view text, std::string* out) const {
  std::vector<Redactor::Span> spans;
  if (!short_key_.empty()) {
    std::string_view k = short_key_.Reveal();
    for (std::size_t pos = text.find(k); pos != std::string_view::npos;
         pos = text.find(k, pos + k.size())) {
      spans.push_back({pos, pos + k.size(), pos});
    }
  } else if (prints_) {
    redaction::FindSecretRuns(*prints_, text, &spans);
  }
  if (spans.empty()) return false;
  Redactor::MergeSpans(text, &spans);
  Redactor::Render(text, spans, out);
  return true;
}

void KeyScrubber::ScrubInPlace(std::string* text) const {
  std::string out;
  if (Scrub(*text, &out)) *text = std::move(out);
}

}  // namespace keyref
