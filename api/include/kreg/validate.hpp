// Input checks of the data model (api/CONTRACT.md "Names and sizes"), done before any
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

// Stored as JSON, every string must be valid UTF-8.
inline bool IsUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t extra;
    if (c < 0x80) extra = 0;
    else if (c >= 0xc2 && c <= 0xdf) extra = 1;
    else if (c >= 0xe0 && c <= 0xef) extra = 2;
    else if (c >= 0xf0 && c <= 0xf4) extra = 3;
    else return false;  // a continuation byte, an overlong lead, or past U+10FFFF
    if (extra > s.size() - i - 1) return false;
    for (size_t k = 1; k <= extra; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return false;
    }
    unsigned char c1 = extra > 0 ? static_cast<unsigned char>(s[i + 1]) : 0;
    // Overlong three- and four-byte forms, surrogates, past U+10FFFF.
    if ((c == 0xe0 && c1 < 0xa0) || (c == 0xed && c1 >= 0xa0) || (c == 0xf0 && c1 < 0x90) ||
        (c == 0xf4 && c1 >= 0x90)) {
      return false;
    }
    i += extra + 1;
  }
  return true;
}

inline Status ValidateUtf8(std::string_view what, std::string_view value) {
  if (IsUtf8(value)) return Status::OK();
  return Status::InvalidArgument(std::string(what) + " is not valid UTF-8");
}

inline Status ValidateInstanceKey(std::string_view service_name, std::string_view id) {
  Status s = ValidateName("service name", service_name);
  if (s.ok()) s = ValidateName("instance id", id);
  return s;
}

// Every string of an instance or property must be valid UTF-8 to be stored
// as JSON, each on its own (a key and its value are two strings); the
// error names the field.
inline Status ValidateInstanceText(const Instance& in) {
  Status s = ValidateUtf8("zone", in.zone);
  if (s.ok()) s = ValidateUtf8("env", in.env);
  if (s.ok()) s = ValidateUtf8("hostname", in.hostname);
  for (const auto* map : {&in.addrs, &in.metadata}) {
    const char* field = map == &in.addrs ? "addrs" : "metadata";
    for (const auto& [k, v] : *map) {
      if (s.ok()) s = ValidateUtf8(field, k);
      if (s.ok()) s = ValidateUtf8(field, v);
    }
  }
  return s;
}

inline Status ValidatePropertyText(const Property& p) {
  Status s;
  for (const auto& [zone, w] : p.zone_weights) {
    if (s.ok()) s = ValidateUtf8("zone_weights", zone);
    if (s.ok()) s = ValidateUtf8("zone_weights", w.src);
    for (const auto& [dst, weight] : w.dst) {
      if (s.ok()) s = ValidateUtf8("zone_weights", dst);
    }
  }
  for (const auto& [id, attrs] : p.attrs) {
    for (const auto& [k, v] : attrs) {
      if (s.ok()) s = ValidateUtf8("attrs", k);
      if (s.ok()) s = ValidateUtf8("attrs", v);
    }
  }
  return s;
}

// The largest stored record (an instance's or a property's JSON), the same
// for every backend so that a registry can move between them and be shared
// with the Go keeper: ZooKeeper takes at most jute.maxbuffer (1 MiB by
// default) per request, and 16 KiB of that is left for the request's path
// and headers.
inline constexpr size_t kMaxStoredBytes = 1024 * 1024 - 16 * 1024;

// INVALID_ARGUMENT, naming the record and both sizes, when `stored_bytes`
// (the record's size as stored) is over kMaxStoredBytes.
inline Status ValidateStoredSize(std::string_view what, std::string_view name, size_t stored_bytes) {
  if (stored_bytes <= kMaxStoredBytes) return Status::OK();
  return Status::InvalidArgument(std::string(what) + " \"" + std::string(name) + "\" is " +
                                 std::to_string(stored_bytes) + " bytes stored; a backend holds at most " +
                                 std::to_string(kMaxStoredBytes) + " (shrink its metadata)");
}

}  // namespace kreg

#endif  // KREG_VALIDATE_HPP_
