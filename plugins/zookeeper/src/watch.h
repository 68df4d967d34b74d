// ZkWatch: one kreg watch over every service under the root.
//
// ZooKeeper watches fire once and carry no zxid. So a notification only
// marks what it names as dirty (the root's children, a service's instance
// directory, one instance, one property); the watch's thread then re-reads
// each dirty item *with* its watch (getChildren / getData with watch=1,
// or exists when the node is missing) -- re-arming and reading in one
// request -- and diffs the answer against what it last reported. A change
// that lands between the fire and the re-arm is therefore in the read, and
// one that was already reported diffs to nothing: nothing is lost, nothing
// is reported twice; quick successive states of a node may coalesce.
//
// Versions (api/CONTRACT.md "Versions"): the events one round of re-reads
// finds for a service bring it to one state, and all carry that state's
// version: the last zxid that touched any node of the service (the
// instance and property directories' pzxids, every child's mzxid), the
// same number GetService reports (ServiceVersion in service_nodes.h). So
// a dead session's instances, deleted in one transaction, share its zxid,
// and two watches agree on every version. A key that went through several
// states in one round gets one event, from what was reported to what was
// read. An event's instance or property keeps its node's own mzxid as its
// version, and Stat.version as data_version.
//
// Failed reads (connection loss, timeout, expiry) put the item back and are
// retried once connected: while disconnected nothing is diffed, so no
// delete is reported. After a new session every watch is gone: everything
// is re-read and diffed, reporting exactly what changed meanwhile.
//
// A node that does not decode (malformed JSON, wrong types, an invalid
// name, an id that disagrees with its path) is logged and skipped; a valid
// node that turns malformed is reported deleted.
#ifndef KREG_PLUGINS_ZOOKEEPER_WATCH_H_
#define KREG_PLUGINS_ZOOKEEPER_WATCH_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "kreg/plugin.hpp"
#include "layout.h"
#include "nodes.h"
#include "requests.h"
#include "session.h"

namespace kreg {
namespace zk {

class ZkWatch : public plugin::WatchSource, private SessionListener {
 public:
  // Reads the current state (failing with its status after `timeout`),
  // pushes a CREATE for every instance and property and then SYNCED into
  // `sink`, and starts the thread that pushes live changes.
  static Status Start(Session* session, const Layout* layout, plugin::Logger log,
                      std::chrono::milliseconds timeout, std::shared_ptr<plugin::EventSink> sink,
                      std::unique_ptr<plugin::WatchSource>* out);
  // Stops the thread; returns when it will never push again.
  ~ZkWatch() override;

 private:
  // What must be re-read.
  struct Dirty {
    bool all = false;   // everything (start, new session)
    bool root = false;  // the list of services
    std::set<std::string> full_dirs;  // instance dirs whose every child must be re-read
    std::set<std::string> instance_dirs;
    std::set<std::pair<std::string, std::string>> instances;
    std::set<std::string> properties;

    bool empty() const {
      return !all && !root && full_dirs.empty() && instance_dirs.empty() && instances.empty() &&
             properties.empty();
    }
    void Merge(Dirty&& other);
  };

  // What was last reported of one instance. Its record is kept as stored
  // (JSON) and decoded again only for its delete event: a watch over a
  // large tree holds little more than the records themselves.
  struct Reported {
    std::string json;
    int64_t mzxid = 0;
    int64_t czxid = 0;
    int32_t data_version = 0;
  };

  // What was last reported for one service.
  struct ServiceState {
    std::map<std::string, Reported> instances;
    std::map<std::string, int64_t> skipped;  // malformed/invalid ids -> mzxid
    // Known ids whose data watch may be gone: their node was found missing
    // (getData leaves no watch then) and may since have been re-created
    // under the same id, which the children diff alone cannot see.
    std::set<std::string> unwatched;
    bool has_property = false;
    Property property;
    int64_t property_czxid = 0;
    // What else the service's version counts: the zxids of the last
    // changes of each directory's children, and of the property node
    // (a malformed one too).
    int64_t instance_dir_pzxid = 0;
    int64_t property_dir_pzxid = 0;
    int64_t property_mzxid = 0;
  };

  enum class Step { kDone, kRetry };

  ZkWatch(Session* session, const Layout* layout, plugin::Logger log, std::chrono::milliseconds timeout,
          std::shared_ptr<plugin::EventSink> sink);

  void OnNodeEvent(int type, const std::string& path) override;
  void OnNewSession() override;

  void Run();
  // Re-reads everything in `work`, removing what it finished, then sends
  // the events found once all of it was read (a round to retry keeps them).
  Step Round(Dirty* work, const std::atomic<bool>* cancel);
  Step RoundSteps(Dirty* work, const std::atomic<bool>* cancel);
  Step SyncRoot(Dirty* work, const Deadline& deadline);
  Step SyncInstances(const std::string& service, bool full, const Deadline& deadline);
  Step SyncInstance(const std::string& service, const std::string& id, const Deadline& deadline);
  // Applies a successful read of instance `id` (a valid or a malformed
  // record) to `state`, adding the events it makes to *events. Takes the
  // record out of *reply.
  void ApplyRead(const std::string& service, const std::string& id, ReadResult result, Instance instance,
                 Reply* reply, ServiceState* state, std::vector<WatchEvent>* events);
  Step SyncProperty(const std::string& service, const Deadline& deadline);
  void RemoveService(const std::string& service, int64_t version);
  // A read failed: retry later when it may pass; otherwise report it.
  Step Fail(const Status& status);

  // The service's version as GetService computes it from the same nodes.
  static int64_t StateVersion(const ServiceState& state);

  // The delete of a reported instance, with its last reported record.
  // Events of a round carry a zxid as version until Flush replaces it.
  WatchEvent DeleteEvent(const std::string& service, const std::string& id, const Reported& reported,
                         int64_t version) const;
  // Queues events of `service` found in this round.
  void Emit(const std::string& service, std::vector<WatchEvent> events);
  // Sends the round's events, one event per key and service, each with
  // its service's version.
  void Flush();

  Session* const session_;
  const Layout* const layout_;
  const plugin::Logger log_;
  const std::chrono::milliseconds timeout_;
  const std::shared_ptr<plugin::EventSink> sink_;

  // Touched only by the thread that reads (Start, then Run).
  std::map<std::string, ServiceState> services_;
  std::map<std::string, int64_t> last_version_;  // kept after a service goes
  std::set<std::string> bad_names_;              // warned about once
  std::map<std::string, std::vector<WatchEvent>> pending_;  // this round's events
  std::vector<WatchEvent>* buffer_ = nullptr;    // the initial state, sent whole
  Status last_error_;
  bool fatal_ = false;  // the initial read met an error retrying cannot fix

  std::mutex mu_;
  std::condition_variable cv_;
  Dirty dirty_;  // guarded by mu_
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace zk
}  // namespace kreg

#endif  // KREG_PLUGINS_ZOOKEEPER_WATCH_H_
