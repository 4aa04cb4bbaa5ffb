#include "keyref/instance.h"

#include <cstdlib>
#include <utility>

namespace keyref {

Status ValidateSecretValue(const SecretValue& value) {
  if (value.empty()) {
    return Error(ErrorCode::kSecretMalformed, "The secret is empty.",
                 "Store the key again; an empty value is never sent.");
  }
  for (char ch : value.Reveal()) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7F) {
      return Error(ErrorCode::kSecretMalformed,
                   "The secret contains a line break, NUL or other control "
                   "character, so it cannot be sent in a header.",
                   "Store the key again without the trailing newline or "
                   "other invisible characters.");
    }
  }
  return {};
}

Instance::Instance(Policy policy)
    : policy_(std::move(policy)), logger_(redactor_) {
  logger_.SetLogBodies(policy_.log_bodies);
}

Instance::~Instance() { Close(); }

// Placeholder resolution: env: only. The secret sources (issue 3) replace
// this with the source factory, every scheme and the cache.
Result<LiveSecret> Instance::Resolve(const ParsedRef& ref) {
  if (closed_) {
    return Error(ErrorCode::kInternal, "This Sidecar is closed.",
                 "Create a new Sidecar.");
  }
  if (ref.scheme != Scheme::kEnv) {
    return Error(ErrorCode::kSourceUnavailable,
                 std::string("The ") + SchemeName(ref.scheme) +
                     " source is not available yet.");
  }
  const char* v = std::getenv(ref.name.c_str());
  if (!v) {
    return Error(ErrorCode::kSecretNotFound,
                 "The environment variable " + ref.name + " is not set.",
                 "Set it in the environment the editor starts from.");
  }
  SecretValue value = SecretValue::FromBytes(v, std::char_traits<char>::length(v));
  if (Status st = ValidateSecretValue(value); !st) return std::move(st).error();
  return LiveSecret(std::move(value), redactor_);
}

void Instance::Close() noexcept {
  if (closed_) return;
  closed_ = true;
  http_.Close();
  redactor_.ForgetAll();
  // Lets go of the host's callback (the addon's thread-safe function); the
  // stderr and file sinks stay for lines logged while closing.
  try {
    logger_.Flush();
    logger_.SetHostSink(nullptr);
  } catch (...) {
  }
}

}  // namespace keyref
