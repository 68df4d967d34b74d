// MirroredService: what the node mirror (node_mirror.h) holds of one
// service's znodes, and the version rule over them.
//
// Records are kept as stored (JSON) and decoded when a Service or an event
// needs them: a mirror of a large tree holds little more than the records
// themselves.
#ifndef KREG_PLUGINS_ZOOKEEPER_MIRRORED_SERVICE_H_
#define KREG_PLUGINS_ZOOKEEPER_MIRRORED_SERVICE_H_

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <unordered_map>

#include "kreg/types.hpp"
#include "layout.h"

namespace kreg {
namespace zk {

struct MirroredInstance {
  std::string json;
  int64_t mzxid = 0;
  int64_t czxid = 0;
  int32_t data_version = 0;
};

struct MirroredService {
  bool exists = false;  // its node <root>/<service> is there
  int64_t instance_dir_pzxid = 0;  // 0 while the directory is missing
  // Hashed: a notification's listing is looked up child by child.
  std::unordered_map<std::string, MirroredInstance> instances;
  // Children that are not valid records: malformed ones by mzxid (they
  // count in the version), invalid ids with 0.
  std::map<std::string, int64_t> skipped;
  // The largest mzxid of any instance node read, malformed ones included,
  // not lowered when one goes: a delete moves the directory's pzxid past
  // it, so ServiceVersion comes out as over the nodes there now.
  int64_t max_instance_mzxid = 0;
  // Known ids whose data watch may be gone: their node was found missing
  // (getData leaves no watch then) and may since have been created again
  // under the same id, which the children diff alone cannot see.
  std::set<std::string> unwatched;
  bool has_property = false;
  Property property;  // version = mzxid
  int64_t property_czxid = 0;
  int64_t property_mzxid = 0;  // also of a malformed property node; 0 without one
  int64_t property_dir_pzxid = 0;
  // The version of the state last reported (ServiceVersion, or later when
  // the last events needed a later one).
  int64_t version = 0;
};

// A service's version: the last zxid that touched any of its nodes, so it
// grows with every change, deletes included (a deleted child leaves its
// trace in its directory's pzxid). `max_instance_mzxid` is the largest
// mzxid of its instance nodes, malformed ones included; `property_mzxid`
// is 0 without a property node. Every read and every watch numbers by it.
inline int64_t ServiceVersion(int64_t instance_dir_pzxid, int64_t property_dir_pzxid, int64_t property_mzxid,
                              int64_t max_instance_mzxid) {
  return std::max({instance_dir_pzxid, property_dir_pzxid, property_mzxid, max_instance_mzxid});
}
int64_t ServiceVersion(const MirroredService& service);

// The instance `id` of `service` as kept, decoded, with its node's mzxid
// as version. Were the record somehow not to decode now, the result still
// names its instance.
Instance DecodeMirrored(const Layout& layout, const std::string& service, const std::string& id,
                        const MirroredInstance& node);

}  // namespace zk
}  // namespace kreg

#endif  // KREG_PLUGINS_ZOOKEEPER_MIRRORED_SERVICE_H_
