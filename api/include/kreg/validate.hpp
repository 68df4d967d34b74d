// Input checks of the data model (DESIGN.md "Names"), done before any
// backend call by both the host wrapper and the plugin helper, so that a
// bad name is refused the same way whichever side is hand-written.
#ifndef KREG_VALIDATE_HPP_
#define KREG_VALIDATE_HPP_

#include <string>
#include <string_view>

#include "kreg/status.hpp"
#include "kreg/types.hpp"

namespace kreg {

inline constexpr size_t kMaxNameBytes = 255;

// `what` names the field in the error, e.g. "service name".
inline Status ValidateName(std::string_view what, std::string_view name) {
  if (name.empty() || name.size() > kMaxNameBytes) {
    return Status::InvalidArgument(std::string(what) + " must be 1-255 bytes, got " +
                                   std::to_string(name.size()));
  }
  if (name == "." || name == "..") {
    return Status::InvalidArgument(std::string(what) + " must not be \"" + std::string(name) + "\"");
  }
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == ':' || c == '@' || c == '-';
    if (!ok) {
      return Status::InvalidArgument(std::string(what) + " \"" + std::string(name) +
                                     "\" has a character outside [A-Za-z0-9._:@-]");
    }
  }
  return Status::OK();
}

inline Status ValidateInstanceKey(std::string_view service_name, std::string_view id) {
  Status s = ValidateName("service name", service_name);
  if (s.ok()) s = ValidateName("instance id", id);
  return s;
}

// Checks the stored size against a backend's limit. `stored_bytes` is the
// size of the instance as the backend would store it.
inline Status ValidateStoredSize(std::string_view what, std::string_view name, size_t stored_bytes,
                                 size_t limit_bytes) {
  if (stored_bytes <= limit_bytes) return Status::OK();
  return Status::InvalidArgument(std::string(what) + " \"" + std::string(name) + "\" is " +
                                 std::to_string(stored_bytes) + " bytes stored; the backend holds at most " +
                                 std::to_string(limit_bytes) + " (shrink its metadata)");
}

}  // namespace kreg

#endif  // KREG_VALIDATE_HPP_
