// Status: the result of a kreg operation, leveldb-style. OK, or a code from
// kreg.h with one line of message saying what failed, where, and how to fix.
#ifndef KREG_STATUS_HPP_
#define KREG_STATUS_HPP_

#include <string>
#include <utility>

#include "kreg/kreg.h"

namespace kreg {

class Status {
 public:
  Status() = default;  // OK
  Status(kreg_status code, std::string message)
      : code_(code), message_(std::move(message)) {}

  static Status OK() { return Status(); }
  static Status InvalidArgument(std::string m) { return {KREG_INVALID_ARGUMENT, std::move(m)}; }
  static Status NotFound(std::string m) { return {KREG_NOT_FOUND, std::move(m)}; }
  static Status Unavailable(std::string m) { return {KREG_UNAVAILABLE, std::move(m)}; }
  static Status Timeout(std::string m) { return {KREG_TIMEOUT, std::move(m)}; }
  static Status PermissionDenied(std::string m) { return {KREG_PERMISSION_DENIED, std::move(m)}; }
  static Status Corrupt(std::string m) { return {KREG_CORRUPT, std::move(m)}; }
  static Status Incompatible(std::string m) { return {KREG_INCOMPATIBLE, std::move(m)}; }
  static Status Internal(std::string m) { return {KREG_INTERNAL, std::move(m)}; }

  bool ok() const { return code_ == KREG_OK; }
  kreg_status code() const { return code_; }
  const std::string& message() const { return message_; }

  // "not found: service \"foo\" does not exist"
  std::string ToString() const {
    if (ok()) return "ok";
    return std::string(CodeName(code_)) + ": " + message_;
  }

  static const char* CodeName(kreg_status code) {
    switch (code) {
      case KREG_OK: return "ok";
      case KREG_INVALID_ARGUMENT: return "invalid argument";
      case KREG_NOT_FOUND: return "not found";
      case KREG_UNAVAILABLE: return "unavailable";
      case KREG_TIMEOUT: return "timeout";
      case KREG_PERMISSION_DENIED: return "permission denied";
      case KREG_CORRUPT: return "corrupt";
      case KREG_INCOMPATIBLE: return "incompatible";
      case KREG_INTERNAL: return "internal error";
    }
    return "unknown status";
  }

 private:
  kreg_status code_ = KREG_OK;
  std::string message_;
};

}  // namespace kreg

#endif  // KREG_STATUS_HPP_
