// ServiceReader: many services read whole, once, without watches (for
// ListServices), and the Service they make. Nodes that do not decode are
// logged and kept aside (their zxid still counts in the version).
#ifndef KREG_PLUGINS_ZOOKEEPER_SERVICE_NODES_H_
#define KREG_PLUGINS_ZOOKEEPER_SERVICE_NODES_H_

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "kreg/plugin.hpp"
#include "kreg/status.hpp"
#include "kreg/types.hpp"
#include "layout.h"
#include "mirrored_service.h"
#include "requests.h"
#include "session.h"

namespace kreg {
namespace zk {

struct ServiceNodes {
  int64_t instance_dir_pzxid = 0;             // 0 while the directory is missing
  std::map<std::string, Instance> instances;  // version = mzxid
  std::map<std::string, int64_t> malformed;   // id -> mzxid
  bool has_property = false;
  Property property;  // version = mzxid, also of a malformed one
  int64_t property_dir_pzxid = 0;

  // Instances by zone with the property merged in, at ServiceVersion.
  Service ToService(const std::string& service) const;
};

class ServiceReader {
 public:
  ServiceReader(Session* session, const Layout* layout, plugin::Logger log)
      : session_(session), layout_(layout), log_(log) {}

  // Reads many services whole, without watches, in two pipelined rounds
  // (every service's own nodes, then every instance): the cost of a listing
  // is about two round trips plus the transfer. A service deleted since
  // `services` was listed is left out.
  Status ReadServices(const std::vector<std::string>& services, const Deadline& deadline,
                      std::vector<std::pair<std::string, ServiceNodes>>* out) const;

 private:
  // Each takes the reply of a read and updates *nodes as its Read* does.
  Status ApplyInstanceDir(const std::string& service, const Reply& reply, ServiceNodes* nodes,
                          std::vector<std::string>* unknown) const;
  Status ApplyInstances(const std::string& service, const std::vector<std::string>& ids,
                        const std::vector<std::string>& paths, const std::vector<Reply>& replies,
                        ServiceNodes* nodes) const;
  Status ApplyProperty(const std::string& service, const Reply& property, const Reply& dir,
                       ServiceNodes* nodes) const;

  Session* const session_;
  const Layout* const layout_;
  const plugin::Logger log_;
};

}  // namespace zk
}  // namespace kreg

#endif  // KREG_PLUGINS_ZOOKEEPER_SERVICE_NODES_H_
