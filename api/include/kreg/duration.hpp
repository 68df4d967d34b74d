// Durations as written in config files and on the command line: an integer
// with a unit, "500ms", "10s", "2m", "1h". Shared by the host's config
// reader and by plugins that read durations from backend options.
#ifndef KREG_DURATION_HPP_
#define KREG_DURATION_HPP_

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "kreg/status.hpp"

namespace kreg {

inline constexpr std::chrono::milliseconds kMaxDuration{24LL * 24 * 3600 * 1000};

inline Status ParseDuration(std::string_view text, std::chrono::milliseconds* out) {
  auto bad = [&] {
    return Status::InvalidArgument("bad duration \"" + std::string(text) +
                                   "\": write a whole number with a unit ms, s, m or h, e.g. 10s");
  };
  auto too_long = [&] {
    return Status::InvalidArgument("duration \"" + std::string(text) + "\" is too long (at most 24 days)");
  };
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0) return bad();
  std::string_view unit = text.substr(digits);
  int64_t scale;
  if (unit == "ms") scale = 1;
  else if (unit == "s") scale = 1000;
  else if (unit == "m") scale = 60 * 1000;
  else if (unit == "h") scale = 3600 * 1000;
  else return bad();
  size_t zeros = 0;
  while (zeros + 1 < digits && text[zeros] == '0') ++zeros;
  // Twelve digits fit int64 even times an hour; more are past the limit.
  if (digits - zeros > 12) return too_long();
  int64_t n = std::stoll(std::string(text.substr(zeros, digits - zeros)));
  // Longer would overflow deadlines and ZooKeeper's int timeouts downstream.
  if (n > kMaxDuration.count() / scale) return too_long();
  *out = std::chrono::milliseconds(n * scale);
  return Status::OK();
}

inline std::string FormatDuration(std::chrono::milliseconds d) {
  int64_t ms = d.count();
  if (ms % 1000 != 0) return std::to_string(ms) + "ms";
  return std::to_string(ms / 1000) + "s";
}

}  // namespace kreg

#endif  // KREG_DURATION_HPP_
