#include "file_lock.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sstream>

#include "atomic_file.h"

namespace kreg {
namespace file {

namespace {

using Clock = std::chrono::steady_clock;

// A waiter tries again at least this often. The close that wakes it can
// come just before the lock is gone: a process that exits or closes
// without unlocking first is notified of the close before its lock drops.
constexpr std::chrono::milliseconds kRetryInterval(10);

// An inotify descriptor that becomes readable when some process closes
// the lock file, which is how a holder releases it; -1 when inotify is not
// available (the waiter then only polls).
int WatchCloses(const std::string& lock_path) {
  int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) return -1;
  if (inotify_add_watch(fd, lock_path.c_str(), IN_CLOSE_WRITE | IN_CLOSE_NOWRITE) < 0) {
    close(fd);
    return -1;
  }
  return fd;
}

void Drain(int inotify_fd) {
  alignas(inotify_event) char buf[4096];
  while (read(inotify_fd, buf, sizeof(buf)) > 0) {
  }
}

// Takes the lock on `fd` by trying without blocking until `deadline`,
// sleeping between tries until the lock file is closed by someone.
Status WaitForLock(int fd, const std::string& lock_path, Clock::time_point deadline) {
  int closes = -1;
  bool watching = false;
  Status result;
  for (;;) {
    if (flock(fd, LOCK_EX | LOCK_NB) == 0) break;
    if (errno != EWOULDBLOCK && errno != EINTR) {
      result = Status::Unavailable("cannot lock " + lock_path + ": " + std::strerror(errno));
      break;
    }
    const Clock::time_point now = Clock::now();
    if (now >= deadline) {
      result = LockTimeout(lock_path);
      break;
    }
    if (!watching) {
      // Only a busy lock costs a watch. Try once more once it exists: a
      // release just before it would wake nobody.
      watching = true;
      closes = WatchCloses(lock_path);
      continue;
    }
    auto wait = std::min<Clock::duration>(kRetryInterval, deadline - now);
    int wait_ms = static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(wait).count());
    // poll() skips a negative descriptor: without inotify it just sleeps.
    pollfd p{closes, POLLIN, 0};
    if (poll(&p, 1, wait_ms) > 0) Drain(closes);
  }
  if (closes >= 0) close(closes);
  return result;
}

// The pid holding the flock on `lock_path` as /proc/locks gives it; 0 when
// it gives none (no /proc, a holder in another pid namespace, or no holder
// any more).
long LockHolderPid(const std::string& lock_path) {
  struct stat st;
  std::string locks;
  FileIdentity unused;
  if (stat(lock_path.c_str(), &st) != 0 || !ReadFile("/proc/locks", &locks, &unused).ok()) return 0;
  // Lines read "1: FLOCK  ADVISORY  WRITE 1234 fd:00:5678 0 EOF"; a waiter's
  // has "->" after the number.
  std::istringstream lines(locks);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::string number, type, kind, mode, dev_ino;
    long pid = 0;
    if (!(fields >> number >> type >> kind >> mode >> pid >> dev_ino) || type != "FLOCK") continue;
    unsigned dev_major = 0, dev_minor = 0;
    unsigned long long ino = 0;
    if (std::sscanf(dev_ino.c_str(), "%x:%x:%llu", &dev_major, &dev_minor, &ino) == 3 &&
        dev_major == major(st.st_dev) && dev_minor == minor(st.st_dev) && ino == st.st_ino && pid > 0) {
      return pid;
    }
  }
  return 0;
}

}  // namespace

FileLock::~FileLock() {
  if (fd_ < 0) return;
  // Unlocking before the close makes the close, which wakes the waiters,
  // come after the release. The close alone would release it too.
  flock(fd_, LOCK_UN);
  close(fd_);
}

Status FileLock::Acquire(const std::string& lock_path, Clock::time_point deadline) {
  for (;;) {
    int fd = open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0) {
      return Status::Unavailable("cannot open lock file " + lock_path + ": " + std::strerror(errno));
    }
    Status s = WaitForLock(fd, lock_path, deadline);
    if (!s.ok()) {
      close(fd);
      return s;
    }
    fd_ = fd;
    lock_path_ = lock_path;
    // Removed or replaced while this waited: whoever opens the path now
    // locks another inode, so this lock excludes nobody. Take that one.
    Status held = Check();
    if (held.ok()) return held;
    flock(fd_, LOCK_UN);
    close(fd_);
    fd_ = -1;
    if (Clock::now() >= deadline) return LockTimeout(lock_path);
  }
}

Status FileLock::Check() const {
  struct stat held;
  struct stat now;
  if (fstat(fd_, &held) == 0 && stat(lock_path_.c_str(), &now) == 0 && held.st_dev == now.st_dev &&
      held.st_ino == now.st_ino) {
    return Status::OK();
  }
  return Status::Unavailable("the lock file " + lock_path_ +
                             " was removed or replaced while this process held it, so another writer may be "
                             "writing too; nothing was written. Retry, and leave the lock file in place");
}

Status LockTimeout(const std::string& lock_path) {
  long pid = LockHolderPid(lock_path);
  std::string holder = pid > 0 ? "pid " + std::to_string(pid) : "another process";
  return Status::Timeout("gave up waiting for the lock " + lock_path + " (held by " + holder +
                         ") after registry.timeout; nothing was written. If that process is stopped or hung, "
                         "resume or end it");
}

}  // namespace file
}  // namespace kreg
