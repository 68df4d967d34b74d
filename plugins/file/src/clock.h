// Wall-clock time in unix milliseconds, and microseconds for revisions.
// Leases and revisions are absolute unix times because the file is shared
// by processes: a monotonic clock means nothing outside the process that
// read it.
#ifndef KREG_PLUGINS_FILE_CLOCK_H_
#define KREG_PLUGINS_FILE_CLOCK_H_

#include <chrono>
#include <cstdint>

namespace kreg {
namespace file {

inline int64_t NowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

inline int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace file
}  // namespace kreg

#endif  // KREG_PLUGINS_FILE_CLOCK_H_
