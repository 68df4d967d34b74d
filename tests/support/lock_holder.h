// A child process that holds an exclusive flock on a file, for tests of
// what kreg does while another process (perhaps a stopped one) holds the
// registry's lock.
#ifndef KREG_TESTS_SUPPORT_LOCK_HOLDER_H_
#define KREG_TESTS_SUPPORT_LOCK_HOLDER_H_

#include <chrono>
#include <memory>
#include <string>

#include "support/process.h"

namespace kreg {
namespace testing {

class LockHolder {
 public:
  // Starts util-linux flock --no-fork on `lock_path` running sleep, so the
  // lock is held by the child itself (its pid is the one /proc/locks
  // shows) until it is killed; output goes to `output_dir`.
  LockHolder(const std::string& lock_path, const std::string& output_dir);

  // Waits until the lock is held; false on timeout.
  bool WaitUntilHeld(std::chrono::milliseconds timeout = std::chrono::seconds(20));

  Process& process() { return *process_; }

 private:
  const std::string lock_path_;
  std::unique_ptr<Process> process_;
};

}  // namespace testing
}  // namespace kreg

#endif  // KREG_TESTS_SUPPORT_LOCK_HOLDER_H_
