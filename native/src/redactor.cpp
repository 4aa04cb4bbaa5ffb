// Placeholder implementation: exact live values only. Issue 5 replaces it
// with the full rule set (encodings, 8-character runs, fingerprints, shapes,
// header values).
#include "keyref/redactor.h"

#include <map>
#include <mutex>

namespace keyref {

struct Redactor::State {
  mutable std::mutex mu;
  std::uint64_t next_id = 1;
  std::map<std::uint64_t, SecretValue> live;
};

Redactor::Redactor() : state_(std::make_unique<State>()) {}
Redactor::~Redactor() = default;

std::uint64_t Redactor::Register(const SecretValue& value) {
  std::lock_guard<std::mutex> lock(state_->mu);
  std::uint64_t id = state_->next_id++;
  state_->live.emplace(id, value.Clone());
  return id;
}

void Redactor::Forget(std::uint64_t id) noexcept {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->live.erase(id);
}

void Redactor::ForgetAll() noexcept {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->live.clear();
}

bool Redactor::Scrub(std::string_view text, std::string* out) const {
  std::lock_guard<std::mutex> lock(state_->mu);
  std::string result(text);
  bool changed = false;
  for (const auto& [id, v] : state_->live) {
    std::string_view s = v.Reveal();
    if (s.empty()) continue;
    for (std::size_t pos = result.find(s); pos != std::string::npos;
         pos = result.find(s, pos + kRedactedMarker.size())) {
      result.replace(pos, s.size(), kRedactedMarker);
      changed = true;
    }
  }
  if (changed) *out = std::move(result);
  SecureZero(result.data(), result.size());
  return changed;
}

std::string Redactor::Redact(std::string_view text) const {
  std::string out;
  if (Scrub(text, &out)) return out;
  return std::string(text);
}

bool Redactor::Contains(std::string_view text) const {
  std::string out;
  return Scrub(text, &out);
}

}  // namespace keyref
