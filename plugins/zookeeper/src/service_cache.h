// ServiceCache: GetService answered from memory: snapshots of the services
// the node mirror (node_mirror.h) keeps, one per version.
//
// A read asks the mirror for the service's current state (which waits for
// reads in flight: read-your-writes, see node_mirror.h) and hands out the
// snapshot it built for that state's version. An unchanged service costs a
// lookup and a version comparison. A service whose version moved on gets a
// new snapshot from the last (snapshot_changes.h), built outside the
// mirror's lock. Successive snapshots share their unchanged instances (the
// same object), so a new snapshot of a large service costs a pointer per
// instance, and the glue's diff of the two (GetServiceChanges, which hands
// the host only what changed) a pointer comparison each.
//
// Services not read for kIdleTimeout are dropped, and the mirror is told
// it need not keep them.
//
// Thread safety: Get may be called from any thread but the client's
// completion thread.
#ifndef KREG_PLUGINS_ZOOKEEPER_SERVICE_CACHE_H_
#define KREG_PLUGINS_ZOOKEEPER_SERVICE_CACHE_H_

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "kreg/status.hpp"
#include "kreg/types.hpp"
#include "layout.h"
#include "node_mirror.h"
#include "snapshot_changes.h"

namespace kreg {
namespace zk {

class ServiceCache {
 public:
  ServiceCache(NodeMirror* mirror, const Layout* layout) : mirror_(mirror), layout_(layout) {}
  ServiceCache(const ServiceCache&) = delete;
  ServiceCache& operator=(const ServiceCache&) = delete;

  // The current state of `service`; NOT_FOUND when it does not exist.
  Status Get(const std::string& service, std::shared_ptr<const Service>* out);
  // The snapshot of `service` at `version` if it is still the one kept,
  // else nullptr (Backend::KeptSnapshot).
  std::shared_ptr<const Service> Kept(const std::string& service, int64_t version);

 private:
  static constexpr std::chrono::minutes kIdleTimeout{10};

  struct Entry {
    std::shared_ptr<const Service> snapshot;
    int64_t property_mzxid = 0;  // of the property merged into it; 0: none
    Clock::time_point last_used;
  };
  NodeMirror* const mirror_;
  const Layout* const layout_;

  std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
  Clock::time_point last_eviction_ = Clock::now();
};

}  // namespace zk
}  // namespace kreg

#endif  // KREG_PLUGINS_ZOOKEEPER_SERVICE_CACHE_H_
