#include "file_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace kreg {
namespace file {

FileLock::~FileLock() {
  // Closing the only descriptor of the description releases the lock.
  if (fd_ >= 0) close(fd_);
}

Status FileLock::Acquire(const std::string& lock_path) {
  int fd = open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
  if (fd < 0) {
    return Status::Unavailable("cannot open lock file " + lock_path + ": " + std::strerror(errno));
  }
  int rc;
  do {
    rc = flock(fd, LOCK_EX);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    int err = errno;
    close(fd);
    return Status::Unavailable("cannot lock " + lock_path + ": " + std::strerror(err));
  }
  fd_ = fd;
  return Status::OK();
}

}  // namespace file
}  // namespace kreg
