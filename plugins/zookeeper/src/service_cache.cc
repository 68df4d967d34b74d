#include "service_cache.h"

#include <utility>

#include "kreg/data_model.hpp"
#include "kreg/json_format.hpp"

namespace kreg {
namespace zk {

Status ServiceCache::Get(const std::string& service, std::shared_ptr<const Service>* out) {
  std::shared_ptr<const Service> known;
  std::vector<std::string> idle;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const Clock::time_point now = Clock::now();
    if (now - last_eviction_ >= std::chrono::minutes(1)) {
      last_eviction_ = now;
      for (auto it = entries_.begin(); it != entries_.end();) {
        if (it->first != service && now - it->second.last_used > kIdleTimeout) {
          idle.push_back(it->first);
          it = entries_.erase(it);
        } else {
          ++it;
        }
      }
    }
    Entry& entry = entries_[service];
    entry.last_used = now;
    known = entry.snapshot;
  }
  for (const std::string& name : idle) mirror_->Release(name);

  int64_t known_property_mzxid = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    known_property_mzxid = entries_[service].property_mzxid;
  }
  bool unchanged = false;
  Changes changes;
  Status s = mirror_->ReadService(service, [&](const MirroredService& state) {
    unchanged = known != nullptr && known->version == state.version;
    if (!unchanged) CollectChanges(state, known.get(), known_property_mzxid, &changes);
  });
  if (!s.ok()) return s;
  if (unchanged) {
    *out = std::move(known);
    return Status::OK();
  }
  const int64_t property_mzxid = changes.property_mzxid;
  auto snapshot = std::make_shared<const Service>(Build(service, std::move(changes)));
  {
    std::lock_guard<std::mutex> lock(mu_);
    Entry& entry = entries_[service];
    if (entry.snapshot == nullptr || entry.snapshot->version < snapshot->version) {
      entry.snapshot = snapshot;
      entry.property_mzxid = property_mzxid;
    }
  }
  *out = std::move(snapshot);
  return Status::OK();
}

std::shared_ptr<const Service> ServiceCache::Kept(const std::string& service, int64_t version) {
  std::lock_guard<std::mutex> lock(mu_);
  auto entry = entries_.find(service);
  if (entry == entries_.end() || entry->second.snapshot == nullptr) return nullptr;
  return entry->second.snapshot->version == version ? entry->second.snapshot : nullptr;
}

void ServiceCache::CollectChanges(const MirroredService& state, const Service* known, int64_t known_property_mzxid,
                                  Changes* out) {
  out->has_property = state.has_property;
  if (state.has_property) out->property = state.property;
  out->property_mzxid = state.has_property ? state.property_mzxid : 0;
  out->version = state.version;
  // An instance of the last snapshot has the property of then merged in.
  if (known_property_mzxid != out->property_mzxid) known = nullptr;
  out->unchanged.reserve(state.instances.size());
  for (const auto& [id, node] : state.instances) {
    const InstancePtr* old = known != nullptr ? FindInstance(*known, id) : nullptr;
    if (old != nullptr && (*old)->version == node.mzxid && (*old)->data_version == node.data_version) {
      out->unchanged.push_back(old);
    } else {
      out->changed.emplace_back(id, node);
    }
  }
}

const InstancePtr* ServiceCache::FindInstance(const Service& service, const std::string& id) {
  // An instance's zone is in its record, which the mirror keeps encoded;
  // services have few zones.
  for (const auto& [zone, by_id] : service.instances) {
    auto found = by_id.find(id);
    if (found != by_id.end()) return &found->second;
  }
  return nullptr;
}

Service ServiceCache::Build(const std::string& service, Changes&& changes) const {
  Service out;
  out.service_name = service;
  // An unchanged instance has the property merged in already.
  for (const InstancePtr* instance : changes.unchanged) AddInstance(*instance, &out);
  for (const auto& [id, node] : changes.changed) {
    Instance instance = DecodeMirrored(*layout_, service, id, node);
    if (changes.has_property) format::MergeProperty(changes.property, &instance);
    AddInstance(std::move(instance), &out);
  }
  if (changes.has_property) format::MergeZoneWeights(changes.property, &out);
  out.version = changes.version;
  return out;
}

}  // namespace zk
}  // namespace kreg
