// LogCapture: the log lines of one registry, collected for a test to look
// at (what was warned, that a password never shows).
#ifndef KREG_TESTS_SUPPORT_LOG_CAPTURE_H_
#define KREG_TESTS_SUPPORT_LOG_CAPTURE_H_

#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "kreg/registry.hpp"

namespace kreg {
namespace testing {

// Collected log lines of one registry.
class LogCapture {
 public:
  LogFunction Sink();
  std::vector<std::string> Lines(kreg_log_level min_level = KREG_LOG_TRACE) const;
  bool Contains(const std::string& text, kreg_log_level min_level = KREG_LOG_TRACE) const;
  std::string All() const;

 private:
  struct State {
    mutable std::mutex mu;
    std::vector<std::pair<kreg_log_level, std::string>> lines;
  };
  std::shared_ptr<State> state_ = std::make_shared<State>();
};

}  // namespace testing
}  // namespace kreg

#endif  // KREG_TESTS_SUPPORT_LOG_CAPTURE_H_
