// ServiceCache: GetService answered from memory: snapshots of the services
// the node mirror (node_mirror.h) keeps, one per version.
//
// A read asks the mirror for the service's current state (which waits for
// reads in flight: read-your-writes, see node_mirror.h) and hands out the
// snapshot it built for that state's version; a service whose version
// moved on gets a new one, decoded outside the mirror's lock. An unchanged
// service costs a lookup and a version comparison.
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

#include "kreg/status.hpp"
#include "kreg/types.hpp"
#include "layout.h"
#include "node_mirror.h"

namespace kreg {
namespace zk {

class ServiceCache {
 public:
  ServiceCache(NodeMirror* mirror, const Layout* layout) : mirror_(mirror), layout_(layout) {}
  ServiceCache(const ServiceCache&) = delete;
  ServiceCache& operator=(const ServiceCache&) = delete;

  // The current state of `service`; NOT_FOUND when it does not exist.
  Status Get(const std::string& service, std::shared_ptr<const Service>* out);

 private:
  static constexpr std::chrono::minutes kIdleTimeout{10};

  struct Entry {
    std::shared_ptr<const Service> snapshot;
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
