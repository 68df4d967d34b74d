// ServiceNodes: what the znodes of one service hold, read whole or piece
// by piece, and the Service they make (plugins/zookeeper/README.md).
//
// Reads with `watch` leave a watch on every node they read, and an
// exists-watch on a missing instance directory or property, so that any
// later change of what was read fires one. Nodes that do not decode are
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
#include "requests.h"
#include "session.h"

namespace kreg {
namespace zk {

// A service's version: the last zxid that touched any of its nodes, so it
// grows with every change, deletes included (a deleted child leaves its
// trace in its directory's pzxid). `max_instance_mzxid` is the largest
// mzxid of its instance nodes, malformed ones included; `property_mzxid`
// is 0 without a property node. The cache and the watch both number by it.
inline int64_t ServiceVersion(int64_t instance_dir_pzxid, int64_t property_dir_pzxid, int64_t property_mzxid,
                              int64_t max_instance_mzxid) {
  return std::max({instance_dir_pzxid, property_dir_pzxid, property_mzxid, max_instance_mzxid});
}

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
  ServiceReader(Session* session, const Layout* layout, plugin::Logger log, bool watch)
      : session_(session), layout_(layout), log_(log), watch_(watch) {}

  // Reads the whole of `service` into *out. NOT_FOUND when its node is
  // missing.
  Status ReadAll(const std::string& service, const Deadline& deadline, ServiceNodes* out) const;

  // Lists the instance directory: drops the instances no longer there and
  // appends to *unknown the valid ids not yet in *nodes.
  Status ReadInstanceDir(const std::string& service, const Deadline& deadline, ServiceNodes* nodes,
                         std::vector<std::string>* unknown) const;
  // Reads the instances `ids` (pipelined) into *nodes; a missing one is
  // dropped.
  Status ReadInstances(const std::string& service, const std::vector<std::string>& ids,
                       const Deadline& deadline, ServiceNodes* nodes) const;
  Status ReadProperty(const std::string& service, const Deadline& deadline, ServiceNodes* nodes) const;

 private:
  // Each takes the reply of a read and updates *nodes as its Read* does.
  Status ApplyInstanceDir(const std::string& service, const Reply& reply, ServiceNodes* nodes,
                          std::vector<std::string>* unknown) const;
  Status ApplyInstances(const std::string& service, const std::vector<std::string>& ids,
                        const std::vector<std::string>& paths, const std::vector<Reply>& replies,
                        ServiceNodes* nodes) const;
  Status ApplyProperty(const std::string& service, const Reply& property, const Reply& dir,
                       ServiceNodes* nodes) const;

  // getChildren/getData of `path`; with watch_, a missing node gets an
  // exists-watch (those reads leave none), re-read if it appeared meanwhile.
  Reply ReadOrWatchCreation(const std::string& path, bool children, const Deadline& deadline) const;

  Session* const session_;
  const Layout* const layout_;
  const plugin::Logger log_;
  const bool watch_;
};

}  // namespace zk
}  // namespace kreg

#endif  // KREG_PLUGINS_ZOOKEEPER_SERVICE_NODES_H_
