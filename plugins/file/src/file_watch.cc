#include "file_watch.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <limits>
#include <utility>

#include "clock.h"
#include "kreg/events.hpp"
#include "path_util.h"

namespace kreg {
namespace file {

namespace {

// A lease is swept this long after it ends, so that the sweeping process
// also sees it as ended with a clock a little behind the registrant's.
constexpr int64_t kExpiryGraceMs = 50;
// After a read that failed, wait this long before the next try for leases.
constexpr int64_t kSweepRetryMs = 1000;
// While the file's directory is gone, look for a new one this often.
constexpr int kDirectoryRetryMs = 200;

}  // namespace

FileWatch::FileWatch(std::shared_ptr<FileStore> store, std::shared_ptr<plugin::EventSink> sink,
                     plugin::Logger log)
    : store_(std::move(store)), sink_(std::move(sink)), log_(log), name_(BaseName(store_->path())) {}

Status FileWatch::Start(std::shared_ptr<FileStore> store, std::shared_ptr<plugin::EventSink> sink,
                        plugin::Logger log, std::unique_ptr<plugin::WatchSource>* out) {
  std::unique_ptr<FileWatch> watch(new FileWatch(std::move(store), std::move(sink), log));
  Status s = watch->Init();
  if (!s.ok()) return s;
  FileWatch* self = watch.get();
  watch->thread_ = std::thread([self] { self->Run(); });
  *out = std::move(watch);
  return Status::OK();
}

Status FileWatch::Init() {
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) return Status::Unavailable(std::string("cannot create an eventfd: ") + std::strerror(errno));
  Status s = WatchDirectory();
  if (!s.ok()) return s;
  // Watching starts before the first read, so a change between them is
  // seen as one more change and not lost.
  std::shared_ptr<const Snapshot> snapshot;
  s = store_->Read(NowMs(), &snapshot);
  if (!s.ok()) return s;
  for (WatchEvent& e : state_.Advance(*snapshot)) sink_->Push(std::move(e));
  earliest_expiry_ms_ = snapshot->earliest_expiry_ms;
  sink_->Push(SyncedEvent());
  log_.Debug("file: watching " + store_->path());
  return Status::OK();
}

Status FileWatch::WatchDirectory() {
  const std::string dir = DirName(store_->path());
  int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) return Status::Unavailable(std::string("cannot start inotify: ") + std::strerror(errno));
  // Replacement by rename, in-place edits, a new file (a hard or symbolic
  // link made there is only a create), removal or renaming away, and the
  // directory moved away; only of a directory (a file put where it was
  // would tell nothing of ours).
  uint32_t mask = IN_MOVED_TO | IN_CLOSE_WRITE | IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVE_SELF | IN_ONLYDIR;
  if (inotify_add_watch(fd, dir.c_str(), mask) < 0) {
    Status s = Status::Unavailable("cannot watch directory " + dir + ": " + std::strerror(errno));
    close(fd);
    return s;
  }
  inotify_fd_ = fd;
  return Status::OK();
}

FileWatch::~FileWatch() {
  if (thread_.joinable()) {
    uint64_t one = 1;
    // An eventfd write of 1 cannot fail short of overflow.
    ssize_t n = write(wake_fd_, &one, sizeof(one));
    (void)n;
    thread_.join();
  }
  if (inotify_fd_ >= 0) close(inotify_fd_);
  if (wake_fd_ >= 0) close(wake_fd_);
}

void FileWatch::Run() {
  for (;;) {
    pollfd fds[2] = {{wake_fd_, POLLIN, 0}, {inotify_fd_, POLLIN, 0}};
    nfds_t count = inotify_fd_ >= 0 ? 2 : 1;
    int timeout_ms = SweepTimeoutMs();
    if (inotify_fd_ < 0 && (timeout_ms < 0 || timeout_ms > kDirectoryRetryMs)) timeout_ms = kDirectoryRetryMs;
    int rc = poll(fds, count, timeout_ms);
    if (rc < 0 && errno != EINTR) {
      log_.Error(std::string("file: watch of " + store_->path() + " stopped: poll failed: ") + std::strerror(errno));
      sink_->Push(ErrorEvent("the watch of " + store_->path() + " stopped: poll failed"));
      return;
    }
    if (fds[0].revents != 0) return;
    if (inotify_fd_ < 0 && WatchDirectory().ok()) {
      log_.Info("file: the directory of " + store_->path() + " is back; the watch resumes");
      Reload(/*report_failure=*/true);
      continue;
    }
    const Change change = count == 2 && fds[1].revents != 0 ? FileChanged() : Change::kNone;
    if (change == Change::kChanged || SweepTimeoutMs() == 0) {
      Reload(/*report_failure=*/true);
    } else if (change == Change::kCreated) {
      // A link made there is whole at once; a file being written there is
      // read again at its close-write, so a read of it half written says
      // nothing yet.
      Reload(/*report_failure=*/false);
    }
  }
}

FileWatch::Change FileWatch::FileChanged() {
  alignas(inotify_event) char buf[4096];
  Change change = Change::kNone;
  for (;;) {
    ssize_t n = read(inotify_fd_, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return change;  // EAGAIN: drained
    for (ssize_t at = 0; at < n;) {
      const auto* ev = reinterpret_cast<const inotify_event*>(buf + at);
      at += static_cast<ssize_t>(sizeof(inotify_event) + ev->len);
      if ((ev->mask & (IN_IGNORED | IN_MOVE_SELF)) != 0) {
        // The directory is gone from the path: nothing of the file there
        // will be told any more.
        std::string message = "the directory of " + store_->path() +
                              " was removed or moved away; the watch resumes once a directory is there again";
        log_.Error("file: " + message);
        sink_->Push(ErrorEvent(message));
        close(inotify_fd_);
        inotify_fd_ = -1;
        return Change::kChanged;
      }
      // An overflowed queue may have dropped events of our file.
      if ((ev->mask & IN_Q_OVERFLOW) != 0 || (ev->len > 0 && name_ == ev->name)) {
        if ((ev->mask & IN_CREATE) == 0) {
          change = Change::kChanged;
        } else if (change == Change::kNone) {
          change = Change::kCreated;
        }
      }
    }
  }
}

void FileWatch::Reload(bool report_failure) {
  std::shared_ptr<const Snapshot> snapshot;
  Status s = store_->Read(NowMs(), &snapshot);
  if (!s.ok()) {
    sweep_not_before_ms_ = NowMs() + kSweepRetryMs;
    if (report_failure && !broken_) {
      broken_ = true;
      log_.Warn("file: watch cannot read the registry: " + s.message());
      sink_->Push(ErrorEvent(s.message()));
    }
    return;
  }
  if (broken_) {
    broken_ = false;
    log_.Info("file: " + store_->path() + " is readable again; the watch resumes");
  }
  for (WatchEvent& e : state_.Advance(*snapshot)) sink_->Push(std::move(e));
  earliest_expiry_ms_ = snapshot->earliest_expiry_ms;
  // A lease still there after its end: the read could not remove it (the
  // lock is busy), so the next try waits a while instead of spinning.
  const int64_t now_ms = NowMs();
  sweep_not_before_ms_ = earliest_expiry_ms_ < now_ms ? now_ms + kSweepRetryMs : 0;
}

int FileWatch::SweepTimeoutMs() const {
  // No lease, or one so far away that adding the grace would overflow.
  // While the file is unreadable the last good state's leases still fall
  // due: a read that failed to remove them is tried again after a backoff.
  if (earliest_expiry_ms_ > std::numeric_limits<int64_t>::max() - kExpiryGraceMs) return -1;
  int64_t due = std::max(earliest_expiry_ms_ + kExpiryGraceMs, sweep_not_before_ms_);
  return static_cast<int>(std::clamp<int64_t>(due - NowMs(), 0, INT_MAX));
}

}  // namespace file
}  // namespace kreg
