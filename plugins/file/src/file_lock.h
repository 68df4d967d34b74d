// FileLock: an exclusive flock on the registry's sidecar lock file, held for
// one read-modify-write so writers in different processes take turns.
//
// flock belongs to an open file description, so each FileLock opens the
// lock file itself: two FileLocks in one process exclude each other too.
// The lock file is never removed (removing it would let a late opener lock a
// different inode than an earlier one) and holds no data. Should someone
// else remove it, a waiter notices and locks the new one, and a holder
// finds out before it commits (Check).
//
// Waiting has a deadline: a holder that is stopped or hung must not freeze
// every writer, and flock itself cannot time out.
#ifndef KREG_PLUGINS_FILE_FILE_LOCK_H_
#define KREG_PLUGINS_FILE_FILE_LOCK_H_

#include <chrono>
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

  // Takes the exclusive lock on `lock_path` (created if missing), waiting
  // for it until `deadline` at most: then LockTimeout(lock_path). A lock
  // file removed or replaced meanwhile is opened again.
  // REQUIRES: not already acquired.
  Status Acquire(const std::string& lock_path, std::chrono::steady_clock::time_point deadline);

  // OK while the lock file at the path is still the one locked; UNAVAILABLE
  // once someone removed or replaced it, when a writer opening it anew
  // would not be excluded: a holder checks just before it commits a write
  // (which narrows that race to the rename; nothing can close it).
  // REQUIRES: acquired.
  Status Check() const;

 private:
  int fd_ = -1;
  std::string lock_path_;
};

// TIMEOUT for a writer that gave up waiting for the lock on `lock_path`:
// names the lock file and, when /proc/locks tells it, the holder's pid.
Status LockTimeout(const std::string& lock_path);

}  // namespace file
}  // namespace kreg

#endif  // KREG_PLUGINS_FILE_FILE_LOCK_H_
