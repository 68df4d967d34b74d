// FileWatch: the live side of a watch on the registry file.
//
// A thread waits in poll() on an inotify watch of the file's directory
// (a writer's rename lands as IN_MOVED_TO, an in-place edit as
// IN_CLOSE_WRITE) and on an eventfd that the destructor signals. On a
// change of the file it re-reads it and pushes what WatchState finds.
//
// Leases: when the earliest lease in the file has ended (plus a little
// grace for clock granularity) the thread reads the file again, which
// removes the lapsed entries (FileStore::Read), so their deletes are
// reported within about a second even if nobody else writes.
// While another writer holds the lock that read's write is not waited for:
// the watch keeps reporting the lease as it is and tries again a second
// later.
//
// When the file stops being a kreg file the watch pushes one ERROR event,
// keeps its last state, and carries on from there once the file is fixed.
#ifndef KREG_PLUGINS_FILE_FILE_WATCH_H_
#define KREG_PLUGINS_FILE_FILE_WATCH_H_

#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "file_store.h"
#include "kreg/plugin.hpp"
#include "kreg/status.hpp"
#include "watch_state.h"

namespace kreg {
namespace file {

class FileWatch : public plugin::WatchSource {
 public:
  // Pushes the initial state and SYNCED into `sink`, then starts the
  // thread. Fails (pushing nothing) when the file cannot be read.
  static Status Start(std::shared_ptr<FileStore> store, std::shared_ptr<plugin::EventSink> sink,
                      plugin::Logger log, std::unique_ptr<plugin::WatchSource>* out);

  // Stops the thread and returns when it has ended.
  ~FileWatch() override;

 private:
  FileWatch(std::shared_ptr<FileStore> store, std::shared_ptr<plugin::EventSink> sink, plugin::Logger log);

  Status Init();
  // Starts inotify on the file's directory: inotify_fd_.
  Status WatchDirectory();
  void Run();
  // What the inotify queue told of our file since the last look.
  enum class Change {
    kNone,
    kCreated,  // only that it was created (linked in, or being written)
    kChanged,
  };
  // Drains the inotify queue.
  Change FileChanged();
  // Re-reads the file and pushes the events since the last read; a read
  // that fails is reported (one ERROR until a read succeeds) only when
  // `report_failure`.
  void Reload(bool report_failure);
  // poll() timeout until the next read for lapsed leases is due; -1 for none.
  int SweepTimeoutMs() const;

  const std::shared_ptr<FileStore> store_;
  const std::shared_ptr<plugin::EventSink> sink_;
  const plugin::Logger log_;
  const std::string name_;  // the file's name in its directory
  int inotify_fd_ = -1;     // -1 while the directory is gone
  int wake_fd_ = -1;        // eventfd: readable when the watch must stop
  WatchState state_;
  bool broken_ = false;  // the file was unreadable at the last read
  // Fields below: when the next sweep is due, in unix ms.
  int64_t earliest_expiry_ms_ = 0;
  int64_t sweep_not_before_ms_ = 0;  // backoff after a read that failed
  std::thread thread_;
};

}  // namespace file
}  // namespace kreg

#endif  // KREG_PLUGINS_FILE_FILE_WATCH_H_
