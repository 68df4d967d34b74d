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
  SnapshotChanges changes;
  Status s = mirror_->ReadService(service, [&](const MirroredService& state) {
    unchanged = known != nullptr && known->version == state.version;
    if (!unchanged) CollectSnapshotChanges(state, known.get(), known_property_mzxid, &changes);
  });
  if (!s.ok()) return s;
  if (unchanged) {
    *out = std::move(known);
    return Status::OK();
  }
  const int64_t property_mzxid = changes.property_mzxid;
  auto snapshot = std::make_shared<const Service>(BuildSnapshot(*layout_, service, std::move(changes)));
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

}  // namespace zk
}  // namespace kreg
