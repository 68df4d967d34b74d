// WatchLoop: one etcd watch over a key range, kept open on a thread of its
// own. When the stream breaks (a member stopped, a leader lost: the stream
// asks for etcd's "require leader"), or brings nothing for
// watch_idle_timeout, it is opened again on the next endpoint from the last
// revision seen + 1, so nothing is lost and nothing doubled. When that
// revision was compacted away, the handler re-reads and says where to go on.
#ifndef KREG_PLUGINS_ETCD_WATCH_LOOP_H_
#define KREG_PLUGINS_ETCD_WATCH_LOOP_H_

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "http_client.h"
#include "kv.h"

namespace kreg {
namespace etcd {

// etcd sends a watch that replays history at most this many revisions per
// response (mvcc's watchBatchMaxRevs): a response that full means more
// follows; one less full has caught up with its header's revision.
inline constexpr size_t kFullReplayRound = 1000;

struct KvEvent {
  bool deleted = false;
  KeyValue kv;  // kv.mod_revision is the event's revision (the delete's, for a delete)
};

// How many distinct revisions `events` span.
size_t Revisions(const std::vector<KvEvent>& events);

class WatchLoop {
 public:
  // Called on the loop's thread, one call at a time.
  class Handler {
   public:
    virtual ~Handler() = default;
    // Events in revision order; every event up to `through` (>= the last
    // event's revision) has now been delivered. A progress notification
    // comes as no events.
    virtual void OnEvents(std::vector<KvEvent> events, int64_t through) = 0;
    // The stream is open: it was created, or it brought data.
    virtual void OnWake() = 0;
    // The revision to go on from is gone (etcd compacted up to
    // `compact_revision`): re-read, and return the revision to watch from;
    // 0 to try again later.
    virtual int64_t OnCompacted(int64_t compact_revision) = 0;
    // The stream failed; the loop tries again (first failure of a streak).
    virtual void OnBroken(const Status& why) = 0;
  };

  // With `deletes_only` etcd sends only the deletes (its NOPUT filter).
  WatchLoop(HttpClient* http, std::string key, std::string range_end, bool deletes_only, const Options& options,
            plugin::Logger log, Handler* handler);
  ~WatchLoop();  // ends the stream and joins the thread
  // Watches from `start_revision`; 0: from the store's revision when the
  // stream opens.
  void Start(int64_t start_revision);

 private:
  void Run(int64_t next);
  // One stream from `next`: true when it ended for a compaction (*compacted set).
  bool Watch(size_t endpoint, int64_t* next, int64_t* compacted, Status* why);
  void Sleep(std::chrono::milliseconds d);

  HttpClient* http_;
  const std::string key_;
  const std::string range_end_;
  const bool deletes_only_;
  const Options& options_;
  const plugin::Logger log_;
  Handler* handler_;
  std::unique_ptr<HttpClient::Stream> stream_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace etcd
}  // namespace kreg

#endif  // KREG_PLUGINS_ETCD_WATCH_LOOP_H_
