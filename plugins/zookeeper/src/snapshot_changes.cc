#include "snapshot_changes.h"

#include <utility>

#include "kreg/data_model.hpp"
#include "kreg/json_format.hpp"

namespace kreg {
namespace zk {

namespace {

const InstancePtr* FindInstance(const Service& service, const std::string& id) {
  // An instance's zone is in its record, which the mirror keeps encoded;
  // services have few zones.
  for (const auto& [zone, by_id] : service.instances) {
    auto found = by_id.find(id);
    if (found != by_id.end()) return &found->second;
  }
  return nullptr;
}

}  // namespace

void CollectSnapshotChanges(const MirroredService& state, const Service* known, int64_t known_property_mzxid,
                            SnapshotChanges* out) {
  out->has_property = state.has_property;
  if (state.has_property) out->property = state.property;
  out->property_mzxid = state.has_property ? state.property_mzxid : 0;
  out->version = state.version;
  // An instance of the last snapshot has the property of then merged in.
  if (known_property_mzxid != out->property_mzxid) known = nullptr;
  if (known == nullptr) {
    for (const auto& [id, node] : state.instances) out->changed.emplace_back(id, node);
    return;
  }
  // The last snapshot walked in its (zone, id) order, each instance looked
  // up in the hashed state: the unchanged ones come out sorted, for
  // BuildSnapshot to append, and no lookup is a search of the snapshot.
  out->unchanged.reserve(state.instances.size());
  size_t still_there = 0;
  for (const auto& [zone, by_id] : known->instances) {
    for (const auto& [id, old] : by_id) {
      auto node = state.instances.find(id);
      if (node == state.instances.end()) continue;
      ++still_there;
      if (old->version == node->second.mzxid && old->data_version == node->second.data_version) {
        out->unchanged.push_back(&old);
      } else {
        out->changed.emplace_back(id, node->second);
      }
    }
  }
  // The rest of the state is new. A node created since the last snapshot
  // has an mzxid above its version, so only those are looked for in it;
  // should that find too few (a node the mirror learned of late), every
  // node is.
  const size_t new_count = state.instances.size() - still_there;
  if (new_count == 0) return;
  const size_t before_new = out->changed.size();
  auto add_new = [&](bool every_node) {
    for (const auto& [id, node] : state.instances) {
      if (!every_node && node.mzxid <= known->version) continue;
      if (FindInstance(*known, id) == nullptr) out->changed.emplace_back(id, node);
    }
  };
  add_new(false);
  if (out->changed.size() - before_new == new_count) return;
  out->changed.erase(out->changed.begin() + before_new, out->changed.end());
  add_new(true);
}

Service BuildSnapshot(const Layout& layout, const std::string& service, SnapshotChanges&& changes) {
  Service out;
  out.service_name = service;
  // An unchanged instance has the property merged in already.
  for (const InstancePtr* instance : changes.unchanged) AddInstance(*instance, &out);
  for (const auto& [id, node] : changes.changed) {
    Instance instance = DecodeMirrored(layout, service, id, node);
    if (changes.has_property) format::MergeProperty(changes.property, &instance);
    AddInstance(std::move(instance), &out);
  }
  if (changes.has_property) format::MergeZoneWeights(changes.property, &out);
  out.version = changes.version;
  return out;
}

}  // namespace zk
}  // namespace kreg
