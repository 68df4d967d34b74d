// FileLock: an exclusive flock on the registry's sidecar lock file, held for
// one read-modify-write so writers in different processes take turns.
//
// flock belongs to an open file description, so each FileLock opens the
// lock file itself: two FileLocks in one process exclude each other too.
// The lock file is never removed (removing it would let a late opener lock a
// different inode than an earlier one) and holds no data.
#ifndef KREG_PLUGINS_FILE_FILE_LOCK_H_
#define KREG_PLUGINS_FILE_FILE_LOCK_H_

#include <string>

#include "kreg/status.hpp"

namespace kreg {
namespace file {

class FileLock {
 public:
  FileLock() = default;
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

  // Blocks until the exclusive lock on `lock_path` (created if missing) is
  // held. REQUIRES: not already acquired.
  Status Acquire(const std::string& lock_path);

 private:
  int fd_ = -1;
};

}  // namespace file
}  // namespace kreg

#endif  // KREG_PLUGINS_FILE_FILE_LOCK_H_
