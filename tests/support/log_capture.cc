#include "support/log_capture.h"

namespace kreg {
namespace testing {

LogFunction LogCapture::Sink() {
  std::shared_ptr<State> state = state_;
  return [state](kreg_log_level level, std::string_view message) {
    std::lock_guard<std::mutex> lock(state->mu);
    state->lines.emplace_back(level, std::string(message));
  };
}

std::vector<std::string> LogCapture::Lines(kreg_log_level min_level) const {
  std::lock_guard<std::mutex> lock(state_->mu);
  std::vector<std::string> out;
  for (const auto& [level, line] : state_->lines) {
    if (level >= min_level) out.push_back(line);
  }
  return out;
}

bool LogCapture::Contains(const std::string& text, kreg_log_level min_level) const {
  for (const std::string& line : Lines(min_level)) {
    if (line.find(text) != std::string::npos) return true;
  }
  return false;
}

std::string LogCapture::All() const {
  std::string out;
  for (const std::string& line : Lines()) out += line + "\n";
  return out;
}

}  // namespace testing
}  // namespace kreg
