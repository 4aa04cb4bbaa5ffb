#include "keyref/instance.h"

#include <utility>

namespace keyref {

Instance::Instance(Policy policy)
    : policy_(std::move(policy)), logger_(redactor_) {}

Instance::~Instance() { Close(); }

void Instance::Close() noexcept {
  if (closed_) return;
  closed_ = true;
  redactor_.ForgetAll();
}

}  // namespace keyref
