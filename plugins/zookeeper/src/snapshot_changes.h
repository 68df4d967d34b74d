// A service's next snapshot made from its last one: CollectSnapshotChanges
// sorts the mirrored state (mirrored_service.h) into the instances the
// last snapshot already holds as they are and those that changed, and
// BuildSnapshot makes the new snapshot of them. The unchanged instances
// are shared, not copied, and only the records that changed are decoded.
//
// An instance of a snapshot carries its node's mzxid and data version:
// that pair unchanged in the state, under the same property, is the same
// instance.
#ifndef KREG_PLUGINS_ZOOKEEPER_SNAPSHOT_CHANGES_H_
#define KREG_PLUGINS_ZOOKEEPER_SNAPSHOT_CHANGES_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "kreg/types.hpp"
#include "layout.h"
#include "mirrored_service.h"

namespace kreg {
namespace zk {

struct SnapshotChanges {
  // In the last snapshot, in its (zone, id) order; they point into it, so
  // it must outlive these changes.
  std::vector<const InstancePtr*> unchanged;
  std::vector<std::pair<std::string, MirroredInstance>> changed;  // by id

  bool has_property = false;
  Property property;
  int64_t property_mzxid = 0;
  int64_t version = 0;
};

// What of `state` a snapshot after `known` (the last snapshot, built
// under the property of `known_property_mzxid`; null: none) needs. Called
// under the mirror's lock (NodeMirror::ReadService): it allocates nothing
// for an unchanged instance, and looks nothing up in the snapshot but the
// nodes created since it.
void CollectSnapshotChanges(const MirroredService& state, const Service* known, int64_t known_property_mzxid,
                            SnapshotChanges* out);

// The snapshot of `service` that `changes` describe, the property merged
// into the instances it decodes (the unchanged have it already).
Service BuildSnapshot(const Layout& layout, const std::string& service, SnapshotChanges&& changes);

}  // namespace zk
}  // namespace kreg

#endif  // KREG_PLUGINS_ZOOKEEPER_SNAPSHOT_CHANGES_H_
