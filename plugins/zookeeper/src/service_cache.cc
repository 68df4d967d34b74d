#include "service_cache.h"

#include <string_view>
#include <utility>

#include "kreg/data_model.hpp"
#include "kreg/json_format.hpp"
#include <vector>

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

void ServiceCache::CollectChanges(const MirroredService& state, const Service* known, int64_t known_property_mzxid,
                                  Changes* out) {
  out->has_property = state.has_property;
  if (state.has_property) out->property = state.property;
  out->property_mzxid = state.has_property ? state.property_mzxid : 0;
  out->version = state.version;
  // An instance of the last snapshot has the property of then merged in.
  std::unordered_map<std::string_view, const Instance*> reusable;
  if (known != nullptr && known_property_mzxid == out->property_mzxid) {
    for (const auto& [zone, by_id] : known->instances) {
      for (const auto& [id, instance] : by_id) reusable.emplace(id, &instance);
    }
  }
  out->parts.reserve(state.instances.size());
  for (const auto& [id, node] : state.instances) {
    auto old = reusable.find(id);
    if (old != reusable.end() && old->second->version == node.mzxid &&
        old->second->data_version == node.data_version) {
      out->parts.push_back(Changes::Part{id, old->second, {}});
    } else {
      out->parts.push_back(Changes::Part{id, nullptr, node});
    }
  }
}

Service ServiceCache::Build(const std::string& service, Changes&& changes) const {
  Service out;
  out.service_name = service;
  for (Changes::Part& part : changes.parts) {
    AddInstance(part.unchanged != nullptr ? *part.unchanged : DecodeMirrored(*layout_, service, part.id, part.node),
                &out);
  }
  if (changes.has_property) format::MergeProperty(changes.property, &out);
  out.version = changes.version;
  return out;
}

}  // namespace zk
}  // namespace kreg
