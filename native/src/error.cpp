#include "keyref/error.h"

namespace keyref {

const char* ErrorCodeName(ErrorCode code) noexcept {
  auto i = static_cast<std::size_t>(code);
  return i < kErrorCodeCount ? kErrorCodes[i].name : "INTERNAL";
}

ErrorClass ErrorClassOf(ErrorCode code) noexcept {
  auto i = static_cast<std::size_t>(code);
  return i < kErrorCodeCount ? kErrorCodes[i].error_class
                             : ErrorClass::kInternal;
}

const char* ErrorClassName(ErrorClass error_class) noexcept {
  switch (error_class) {
    case ErrorClass::kOk:
      return "ok";
    case ErrorClass::kRef:
      return "ref";
    case ErrorClass::kSource:
      return "source";
    case ErrorClass::kRequest:
      return "request";
    case ErrorClass::kProfile:
      return "profile";
    case ErrorClass::kInternal:
      return "internal";
  }
  return "internal";
}

}  // namespace keyref
