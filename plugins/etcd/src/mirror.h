// Mirror: the registry as this backend sees it, kept by one etcd watch over
// the whole prefix, serving get_service, list_services and every watch of
// the backend (plugins/etcd/README.md "Versions").
//
// Why a mirror and not a range per read: a service's version is the
// revision of its last change, and when that change was a delete no range
// can tell it (the key is gone) -- only the watch saw it. So the mirror
// replays the store's history: it starts from the oldest revision etcd
// still has (a range at the compaction revision, then the watch after it),
// which gives every delete since the last compaction its revision, and an
// emptied service (all its keys deleted) is still found, at the version of
// the delete that emptied it, until a compaction drops that history. It
// serves once it has passed the revision of a range of the prefix taken at
// first use, or once its content equals that range's and the stream has gone
// quiet after a round that was not full (etcd replays a history in rounds of
// at most 1000 revisions, so a fuller one means more is on its way).
//
// When the watch must go on from a compacted revision, the mirror is built
// again the same way beside the one serving, and the difference is reported
// as events; a change it could not see (compacted away) gets the
// compaction's revision as its version, so versions still only grow.
//
// Thread-safe. Sinks are pushed to under the mirror's lock, in the order
// the store changed (EventSink::Push never blocks).
#ifndef KREG_PLUGINS_ETCD_MIRROR_H_
#define KREG_PLUGINS_ETCD_MIRROR_H_

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "kreg/plugin.hpp"
#include "kv.h"
#include "layout.h"
#include "watch_loop.h"

namespace kreg {
namespace etcd {

class Mirror : public WatchLoop::Handler {
 public:
  Mirror(HttpClient* http, Kv* kv, const Layout& layout, const Options& options, plugin::Logger log);
  ~Mirror() override;

  // Starts the watch on first use and waits until the mirror serves and has
  // seen revision `revision` (a write of this backend's: read-your-writes).
  // UNAVAILABLE or TIMEOUT when that does not happen by `deadline`.
  Status WaitFor(int64_t revision, Clock::time_point deadline);

  // After WaitFor. NOT_FOUND when the mirror has no such service.
  Status GetService(const std::string& name, std::shared_ptr<const Service>* out);
  void ListServices(std::vector<Service>* out);
  // After WaitFor: pushes the current state (CREATE events at each
  // service's version) and SYNCED into `sink`, then every change until
  // Unsubscribe(id).
  uint64_t Subscribe(std::shared_ptr<plugin::EventSink> sink);
  void Unsubscribe(uint64_t id);

 private:
  struct InstanceRecord {
    std::string key;
    Instance instance;  // version: the key's mod_revision; data_version: its etcd version
  };
  struct PropertyRecord {
    std::string key;
    Property property;
  };
  struct ServiceState {
    std::map<std::string, InstanceRecord> instances;  // by id
    std::optional<PropertyRecord> property;
    int64_t version = 0;
    std::shared_ptr<const Service> built;  // null until read after a change
  };
  struct State {
    std::unordered_map<std::string, int64_t> keys;  // every key under the prefix -> mod_revision
    std::map<std::string, ServiceState> services;
    int64_t through = 0;  // every change up to this revision is applied
  };

  // Starts the watch unless it runs: reads the keys the replay must reach
  // (bounded by `deadline`), without waiting for the replay.
  Status StartLocked(std::unique_lock<std::mutex>* lock, Clock::time_point deadline);
  void OnEvents(std::vector<KvEvent> events, int64_t through) override;
  void OnWake() override;
  int64_t OnCompacted(int64_t compact_revision) override;
  void OnBroken(const Status& why) override;

  // Applies one change to `state`; the watch events it makes go to *emit
  // when given.
  void Apply(State* state, const KvEvent& event, std::vector<WatchEvent>* emit);
  void ApplyInstance(ServiceState* service, const Layout::Ref& ref, const KvEvent& event,
                     std::vector<WatchEvent>* emit);
  void ApplyProperty(ServiceState* service, const Layout::Ref& ref, const KvEvent& event,
                     std::vector<WatchEvent>* emit);
  // pending_ against target_, one key: does it hold what the target does?
  bool MatchesTarget(const std::string& key) const;
  void CountMismatches();
  void MaybePromote();
  // Reports what differs between state_ and pending_ (a rebuild after a
  // compaction) and makes pending_ the state.
  void SwapInRebuilt();
  void Emit(const std::vector<WatchEvent>& events);
  std::shared_ptr<const Service> Build(const std::string& name, ServiceState* service);
  // Warns once per record that does not decode (or key that is not of the layout).
  void WarnSkipped(const std::string& key, int64_t mod_revision, const std::string& why);

  HttpClient* http_;
  Kv* kv_;
  const Layout& layout_;
  const Options& options_;
  const plugin::Logger log_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool starting_ = false;
  bool live_ = false;  // state_ serves
  State state_;
  // A state being built (first use, or after a compaction), the range it must
  // reach, and how many keys still differ from it.
  std::unique_ptr<State> pending_;
  std::unordered_map<std::string, int64_t> target_;
  int64_t target_revision_ = 0;
  size_t mismatches_ = 0;
  bool replay_batch_full_ = false;  // the replay's last response was a full round
  int64_t rebuild_floor_ = 0;  // the compaction revision a rebuild started from
  Clock::time_point last_event_;
  Status last_error_;
  std::set<std::string> warned_;
  // Snapshots replaced under the lock, freed after it (a big service's
  // snapshot takes a while to free).
  std::vector<std::shared_ptr<const Service>> retired_;
  std::map<uint64_t, std::shared_ptr<plugin::EventSink>> sinks_;
  uint64_t next_sink_ = 1;
  std::unique_ptr<WatchLoop> loop_;  // last: stopped first
};

}  // namespace etcd
}  // namespace kreg

#endif  // KREG_PLUGINS_ETCD_MIRROR_H_
