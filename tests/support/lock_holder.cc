#include "support/lock_holder.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>

namespace kreg {
namespace testing {

LockHolder::LockHolder(const std::string& lock_path, const std::string& output_dir)
    : lock_path_(lock_path),
      process_(std::make_unique<Process>(
          std::vector<std::string>{"/usr/bin/flock", "--no-fork", "--exclusive", lock_path, "sleep", "600"},
          output_dir)) {}

bool LockHolder::WaitUntilHeld(std::chrono::milliseconds timeout) {
  return WaitFor(
      [&] {
        int fd = open(lock_path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
        if (fd < 0) return false;
        // Taking it means the child does not hold it yet; closing drops it.
        bool held = flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
        close(fd);
        return held;
      },
      timeout);
}

}  // namespace testing
}  // namespace kreg
