#include "service_cache.h"

#include <utility>
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

  std::unique_ptr<MirroredService> changed;
  Status s = mirror_->ReadService(service, [&](const MirroredService& state) {
    if (known == nullptr || known->version != state.version) changed = std::make_unique<MirroredService>(state);
  });
  if (!s.ok()) return s;
  if (changed == nullptr) {
    *out = std::move(known);
    return Status::OK();
  }
  auto snapshot = std::make_shared<const Service>(ToService(*layout_, service, *changed));
  {
    std::lock_guard<std::mutex> lock(mu_);
    Entry& entry = entries_[service];
    if (entry.snapshot == nullptr || entry.snapshot->version < snapshot->version) entry.snapshot = snapshot;
  }
  *out = std::move(snapshot);
  return Status::OK();
}

}  // namespace zk
}  // namespace kreg
