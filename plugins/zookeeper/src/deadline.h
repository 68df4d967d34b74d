// Deadline: when an operation gives up.
#ifndef KREG_PLUGINS_ZOOKEEPER_DEADLINE_H_
#define KREG_PLUGINS_ZOOKEEPER_DEADLINE_H_

#include <atomic>
#include <chrono>

namespace kreg {
namespace zk {

using Clock = std::chrono::steady_clock;

// At `at`, or as soon as *cancelled is true.
struct Deadline {
  Clock::time_point at;
  const std::atomic<bool>* cancelled = nullptr;

  static Deadline After(std::chrono::milliseconds d, const std::atomic<bool>* cancelled = nullptr) {
    return Deadline{Clock::now() + d, cancelled};
  }
  bool passed() const {
    return Clock::now() >= at || (cancelled != nullptr && cancelled->load());
  }
};

}  // namespace zk
}  // namespace kreg

#endif  // KREG_PLUGINS_ZOOKEEPER_DEADLINE_H_
