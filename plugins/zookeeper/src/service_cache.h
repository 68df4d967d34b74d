// ServiceCache: GetService answered from memory, kept current by watches,
// read-your-writes for this process's own changes.
//
// The first read of a service reads it whole with watches on every node
// (service_nodes.h). A notification for one of its nodes marks just that
// part stale (the instance list, one instance, the property, or all of
// it) and bumps the service's change count; the next read re-reads the
// stale parts, re-arming their watches, and builds a new snapshot. A read
// of a service whose snapshot has seen every change is a map lookup.
//
// Why this is read-your-writes: the server fires the watches a write
// triggers before it answers the write, on the same connection, and the
// client runs watchers and completions in arrival order on one thread.
// (Session issues only asynchronous requests, whose completions share that
// thread; the client answers synchronous ones on its I/O thread.) So by
// the time one of our writes returns, the notification has already marked
// the service stale, and a read that starts afterwards re-reads.
// Changes by other clients are seen as soon as their notification
// arrives: the cache is as fresh as a watch, like any ZooKeeper read from
// a follower.
//
// Faults: after any connection loss the client re-arms watches itself,
// but what it reads meanwhile may precede the notifications that brings;
// so a snapshot taken before the loss is never served again, the service
// is read whole instead. A new session (every watch gone) does the same.
// A read that fails leaves the service to be read whole next time.
//
// Services not read for kIdleTimeout are dropped (their watches fire once
// more and are then gone).
//
// Thread safety: Get may be called from any thread; concurrent reads of a
// stale service wait for one refresh and share its snapshot.
#ifndef KREG_PLUGINS_ZOOKEEPER_SERVICE_CACHE_H_
#define KREG_PLUGINS_ZOOKEEPER_SERVICE_CACHE_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>

#include "kreg/plugin.hpp"
#include "kreg/types.hpp"
#include "layout.h"
#include "service_nodes.h"
#include "requests.h"
#include "session.h"

namespace kreg {
namespace zk {

class ServiceCache : private SessionListener {
 public:
  ServiceCache(Session* session, const Layout* layout, plugin::Logger log, std::chrono::milliseconds timeout);
  ~ServiceCache() override;
  ServiceCache(const ServiceCache&) = delete;
  ServiceCache& operator=(const ServiceCache&) = delete;

  // The current state of `service`; NOT_FOUND when it does not exist.
  Status Get(const std::string& service, std::shared_ptr<const Service>* out);

 private:
  static constexpr std::chrono::minutes kIdleTimeout{10};

  // What notifications made stale.
  struct Stale {
    bool all = false;  // everything (nothing read yet, or a read failed)
    bool instance_dir = false;
    bool property = false;
    std::set<std::string> instances;
  };

  struct Entry {
    Entry() { stale.all = true; }

    std::mutex refresh_mu;  // one refresh at a time; guards `nodes`
    ServiceNodes nodes;
    // The rest is guarded by ServiceCache::mu_.
    Stale stale;
    uint64_t changes = 0;     // notifications so far
    uint64_t snapshot_changes = 0;  // `changes` when the snapshot's read began
    uint64_t snapshot_epoch = 0;    // Session::connection_epoch() then
    std::shared_ptr<const Service> snapshot;
    Clock::time_point last_used;
  };

  void OnNodeEvent(int type, const std::string& path) override;
  void OnNewSession() override;

  // The snapshot when it has seen every change; requires mu_.
  std::shared_ptr<const Service> Fresh(const Entry& entry) const;
  // Reads what is stale and rebuilds the snapshot.
  Status Refresh(const std::string& service, Entry* entry, std::shared_ptr<const Service>* out);
  // Drops entries idle for kIdleTimeout; requires mu_.
  void EvictIdle(Clock::time_point now);

  Session* const session_;
  const Layout* const layout_;
  const std::chrono::milliseconds timeout_;
  const ServiceReader reader_;

  std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<Entry>> entries_;
  Clock::time_point last_eviction_;
};

}  // namespace zk
}  // namespace kreg

#endif  // KREG_PLUGINS_ZOOKEEPER_SERVICE_CACHE_H_
