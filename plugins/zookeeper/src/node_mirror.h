// NodeMirror: the one copy of the znodes kreg reads, kept by watches;
// GetService's cache (service_cache.h) and every watch (watch.h) are
// served from it.
//
// What it mirrors: the services the cache asked for, and, while any watch
// runs, every service under the root (the root's children are watched
// too). Each mirrored node carries a one-shot watch. A notification is
// answered on the client's completion thread, where it arrives, by the
// read that re-arms it (getChildren / getData with watch=1, or exists on a
// missing node); that read's completion diffs the answer against the
// mirror and issues the reads it calls for (the getData of each new
// child), pipelined, from the completion callback itself. A change landing
// between the fire and the re-arm is therefore in the read, and one already
// seen diffs to nothing. Replies are applied in the order the server sent
// them, so the mirror always moves forward.
//
// Versions (api/CONTRACT.md "Versions"): a service is *settled* when none
// of its reads is outstanding; the events found since it last settled are
// then made into one per key (what was reported to what was read) and all
// carry the service's version (mirrored_service.h: the last zxid that
// touched any of its nodes) -- so a dead session's instances, deleted in
// one transaction, share its zxid, and every consumer sees one version
// per state. They are handed to each watch's sink there, on the completion
// thread: the one hand-off is to the watch's dispatcher.
//
// Faults: a read that fails for a connection loss, a timeout or an expiry
// leaves its service unsettled (nothing of it is reported, so no delete
// while disconnected) and the service is read whole again once connected,
// by the mirror's retry thread. After a new session (every watch gone)
// everything is read whole again and diffed, reporting exactly what
// changed meanwhile. After a connection loss the client re-sends the
// watches itself, but what was read before may precede what they bring:
// a service read before the loss is read whole again before the cache
// serves it (connection_epoch).
//
// A node that does not decode (malformed JSON, wrong types, an invalid
// name, an id that disagrees with its path) is logged once and skipped; a
// valid node that turns malformed is reported deleted.
//
// Read-your-writes: the server fires the watches a write triggers before
// it answers the write, on the same connection, and the client runs
// watchers and completions in that order on one thread. So when one of
// our writes returns, the notification has already been answered by a
// read in flight, and ReadService waits for it.
//
// Thread safety: all public methods may be called from any thread but the
// client's completion thread.
#ifndef KREG_PLUGINS_ZOOKEEPER_NODE_MIRROR_H_
#define KREG_PLUGINS_ZOOKEEPER_NODE_MIRROR_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "kreg/plugin.hpp"
#include "layout.h"
#include "mirrored_service.h"
#include "nodes.h"
#include "requests.h"
#include "session.h"

namespace kreg {
namespace zk {

class NodeMirror : public std::enable_shared_from_this<NodeMirror>, private SessionListener {
 public:
  static std::shared_ptr<NodeMirror> Start(Session* session, const Layout* layout, plugin::Logger log,
                                           std::chrono::milliseconds timeout);
  // Returns when nothing of the mirror will touch the session or a sink
  // again. Call it before the Session goes; the last reference may then be
  // dropped on any thread.
  void Stop();
  ~NodeMirror() override = default;

  // Mirrors `service` until Release, waits (up to the timeout) until it is
  // settled and read whole since the last connection loss, and calls
  // `read` with it, under the mirror's lock: `read` must be short.
  // NOT_FOUND when the service does not exist; UNAVAILABLE / TIMEOUT when
  // it could not be read in time; another read error as it came.
  Status ReadService(const std::string& service, const std::function<void(const MirroredService&)>& read);
  // The cache no longer reads `service`.
  void Release(const std::string& service);

  // Mirrors every service, waits (up to the timeout) until all are read,
  // then pushes into `sink` a CREATE for every instance and property, then
  // SYNCED, then live changes, until RemoveWatch(*id) returns.
  Status AddWatch(std::shared_ptr<plugin::EventSink> sink, uint64_t* id);
  void RemoveWatch(uint64_t id);

 private:
  // What a read was for, and so how its reply is applied.
  enum class ReadKind {
    kRoot,         // getChildren of the root
    kServiceNode,  // exists of <root>/<service>
    kInstanceDir,  // getChildren of its instance directory
    kInstance,     // getData of one instance
    kProperty,     // getData of its property
    kPropertyDir,  // exists of its property directory (its pzxid)
  };
  struct ReadTag {
    ReadKind kind;
    std::string service;  // "" for the root
    std::string id;       // kInstance
    uint64_t generation = 0;
    bool full = false;    // kInstanceDir: read every child again
    bool listed = false;  // kInstance: asked for by a listing (not by a notification)
    // getChildren and getData leave no watch on a missing node, exists
    // does: a node found missing is looked at again with exists, and read
    // again (`attempt`) if it is there after all.
    bool confirming = false;
    int attempt = 0;
  };

  // One mirrored service with the work going on for it.
  struct Tracked {
    MirroredService state;
    uint64_t generation = 0;  // replies for an earlier one are stale
    int in_flight = 0;
    int listings_in_flight = 0;  // of its instance directory, sent or deferred
    bool cached = false;      // the cache reads it
    bool listed = false;      // the root's listing has it
    bool loading = false;     // a whole read is under way
    bool loaded = false;      // read whole since it was mirrored, or since the last new session
    bool retry = false;       // a read failed and it must be read whole again
    uint64_t load_epoch = 0;  // connection epoch when its last whole read began
    uint64_t epoch = 0;       // ... and when the last that finished began
    Status failure;           // why its last read failed, for a reader that gives up
    Status error;             // a read failed for good; the next ReadService returns it
    std::vector<WatchEvent> pending;  // found since it last settled
  };

  // A watch, and its initial state while that is being put together:
  // services that had reads in flight when it started give theirs when they
  // settle; live changes meanwhile are folded into it.
  struct Subscriber {
    uint64_t id;
    std::shared_ptr<plugin::EventSink> sink;
    bool synced = false;
    std::set<std::string> waiting;
    std::vector<WatchEvent> initial;
  };

  NodeMirror(Session* session, const Layout* layout, plugin::Logger log, std::chrono::milliseconds timeout);

  void OnNodeEvent(int type, const std::string& path) override;
  void OnNewSession() override;
  void RetryLoop();  // the retry thread

  // All below require mu_.
  std::shared_ptr<Tracked> Track(const std::string& service);
  bool Settled(const Tracked& t) const { return t.in_flight == 0 && !t.retry; }
  bool RootSettled() const { return root_in_flight_ == 0 && !root_retry_; }
  // Without a watch left, mirrors only what the cache reads.
  void StopWatchingRootIfUnwatched();
  // Issues a read for `t` (nullptr: the root), counted in flight until
  // its reply is applied.
  void Issue(ReadOp op, const std::string& path, bool watch, Tracked* t, ReadTag tag);
  void Send(ReadOp op, const std::string& path, bool watch, ReadTag tag);
  void SendDeferred();
  // True when the read was for a generation that is gone.
  bool Stale(const ReadTag& tag) const;
  void OnReply(const ReadTag& tag, Reply&& reply);
  // Issues the read `tag` is for (again).
  void Reread(Tracked* t, ReadTag tag);
  std::string PathOf(const ReadTag& tag) const;
  // Applies a reply (ZOK, or ZNONODE confirmed) by its kind.
  void Apply(const ReadTag& tag, Tracked* t, Reply&& reply);
  void ReadRoot();
  void ApplyRoot(const Reply& reply);
  void LoadService(const std::string& service, Tracked* t);
  void ReadInstanceDir(const std::string& service, Tracked* t, bool full);
  void ApplyInstanceDir(const ReadTag& tag, Tracked* t, Reply&& reply);
  void ApplyInstance(const ReadTag& tag, Tracked* t, Reply&& reply);
  void ReadProperty(const std::string& service, Tracked* t);
  void ApplyProperty(const std::string& service, Tracked* t, Reply&& reply);
  void RemoveService(const std::string& service, int64_t version);
  // A read for `t` (nullptr: the root) failed with `rc`.
  void Fail(Tracked* t, int rc, const std::string& op, const std::string& path);
  WatchEvent DeleteEvent(const std::string& service, const std::string& id, const MirroredInstance& node,
                         int64_t version) const;
  void Settle(const std::string& service, Tracked* t);
  // The state of `service` as creates, at its version.
  void ForEachCreate(const std::string& service, const Tracked& t,
                     const std::function<void(WatchEvent&&)>& fn) const;
  void AppendCreates(const std::string& service, const Tracked& t, std::vector<WatchEvent>* out) const;
  void PushCreates(const std::string& service, const Tracked& t, plugin::EventSink* sink) const;
  void Deliver(const std::string& service, std::vector<WatchEvent>&& events, const Tracked& t);
  void PushInitial(Subscriber* s);
  void WarnOnce(const std::string& what, const std::string& path);

  Session* const session_;
  const Layout* const layout_;
  const plugin::Logger log_;
  const std::chrono::milliseconds timeout_;

  std::mutex mu_;
  std::condition_variable settled_cv_;  // a service or the root settled
  std::condition_variable retry_cv_;
  bool stopped_ = false;
  std::atomic<bool> stopping_{false};  // stopped_, for a wait outside mu_
  std::map<std::string, std::shared_ptr<Tracked>> services_;
  std::map<std::string, int64_t> last_version_;  // kept after a service goes
  std::set<std::string> warned_;                 // paths warned about once
  bool root_watched_ = false;
  bool root_loaded_ = false;
  bool root_retry_ = false;
  int root_in_flight_ = 0;
  uint64_t root_generation_ = 0;
  Status root_failure_;
  Status root_error_;
  uint64_t next_generation_ = 1;
  uint64_t next_subscriber_ = 1;
  std::vector<std::unique_ptr<Subscriber>> subscribers_;
  // A read counted in flight but not sent yet.
  struct Deferred {
    ReadOp op;
    std::string path;
    bool watch;
    ReadTag tag;
  };
  std::deque<Deferred> deferred_;
  size_t sent_ = 0;          // sent and not answered (on this handle)
  uint64_t send_epoch_ = 0;  // a new session starts a new count

  std::thread retry_thread_;
};

}  // namespace zk
}  // namespace kreg

#endif  // KREG_PLUGINS_ZOOKEEPER_NODE_MIRROR_H_
