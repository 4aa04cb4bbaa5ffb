#include "keyref/request_head.h"

#include <string>
#include <utility>

namespace keyref {

bool IsAllowedMethod(std::string_view method) noexcept {
  for (std::string_view m :
       {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}) {
    if (method == m) return true;
  }
  return false;
}

bool IsSafeFieldValue(std::string_view value) noexcept {
  for (char ch : value) {
    unsigned char c = static_cast<unsigned char>(ch);
    if ((c < 0x20 && c != '\t') || c == 0x7F) return false;
  }
  return true;
}

Status CheckRequestHead(const HttpRequest& request) {
  if (!IsAllowedMethod(request.method)) {
    return Error(ErrorCode::kHeaderForbidden,
                 "The request method is not one keyref sends.",
                 "Use GET, POST, PUT, PATCH, DELETE, HEAD or OPTIONS.");
  }
  const std::pair<const char*, const std::string*> fields[] = {
      {"contentType", &request.content_type},
      {"referer", &request.referer},
      {"title", &request.title},
      {"apiVersion", &request.api_version}};
  for (const auto& [option, value] : fields) {
    if (!IsSafeFieldValue(*value)) {
      return Error(ErrorCode::kHeaderForbidden,
                   std::string("The ") + option +
                       " option contains a line break, NUL or other control "
                       "character.",
                   "Remove it; keyref writes these options into the request "
                   "head.");
    }
  }
  return {};
}

}  // namespace keyref
