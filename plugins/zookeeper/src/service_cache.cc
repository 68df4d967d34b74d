#include "service_cache.h"

#include <utility>
#include <vector>

namespace kreg {
namespace zk {

ServiceCache::ServiceCache(Session* session, const Layout* layout, plugin::Logger log,
                           std::chrono::milliseconds timeout)
    : session_(session),
      layout_(layout),
      timeout_(timeout),
      reader_(session, layout, log, /*watch=*/true),
      last_eviction_(Clock::now()) {
  session_->Subscribe(this);
}

ServiceCache::~ServiceCache() { session_->Unsubscribe(this); }

Status ServiceCache::Get(const std::string& service, std::shared_ptr<const Service>* out) {
  std::shared_ptr<Entry> entry;
  {
    std::lock_guard<std::mutex> lock(mu_);
    Clock::time_point now = Clock::now();
    EvictIdle(now);
    std::shared_ptr<Entry>& slot = entries_[service];
    if (slot == nullptr) slot = std::make_shared<Entry>();
    entry = slot;
    entry->last_used = now;
    if (std::shared_ptr<const Service> fresh = Fresh(*entry)) {
      *out = std::move(fresh);
      return Status::OK();
    }
  }
  return Refresh(service, entry.get(), out);
}

std::shared_ptr<const Service> ServiceCache::Fresh(const Entry& entry) const {
  if (entry.snapshot == nullptr || entry.changes != entry.snapshot_changes ||
      entry.snapshot_epoch != session_->connection_epoch()) {
    return nullptr;
  }
  return entry.snapshot;
}

Status ServiceCache::Refresh(const std::string& service, Entry* entry, std::shared_ptr<const Service>* out) {
  std::lock_guard<std::mutex> refresh_lock(entry->refresh_mu);
  Stale stale;
  uint64_t changes, epoch;
  {
    std::lock_guard<std::mutex> lock(mu_);
    // Another reader may have refreshed it while we waited.
    if (std::shared_ptr<const Service> fresh = Fresh(*entry)) {
      *out = std::move(fresh);
      return Status::OK();
    }
    // Notifications from here on mark the entry stale again.
    std::swap(stale, entry->stale);
    changes = entry->changes;
    epoch = session_->connection_epoch();
    if (entry->snapshot_epoch != epoch) stale.all = true;
  }

  Deadline deadline = Deadline::After(timeout_);
  Status s;
  if (stale.all) {
    s = reader_.ReadAll(service, deadline, &entry->nodes);
  } else {
    std::vector<std::string> ids;
    if (stale.instance_dir) s = reader_.ReadInstanceDir(service, deadline, &entry->nodes, &ids);
    for (const std::string& id : stale.instances) {
      if (entry->nodes.instances.count(id) != 0 || entry->nodes.malformed.count(id) != 0) ids.push_back(id);
    }
    if (s.ok()) s = reader_.ReadInstances(service, ids, deadline, &entry->nodes);
    if (s.ok() && stale.property) s = reader_.ReadProperty(service, deadline, &entry->nodes);
  }
  if (!s.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    entry->stale.all = true;
    if (s.code() == KREG_NOT_FOUND) {
      auto it = entries_.find(service);
      if (it != entries_.end() && it->second.get() == entry) entries_.erase(it);
    }
    return s;
  }
  auto snapshot = std::make_shared<const Service>(entry->nodes.ToService(service));
  std::lock_guard<std::mutex> lock(mu_);
  entry->snapshot = snapshot;
  entry->snapshot_changes = changes;
  entry->snapshot_epoch = epoch;
  *out = std::move(snapshot);
  return Status::OK();
}

void ServiceCache::OnNodeEvent(int, const std::string& path) {
  Layout::Ref ref = layout_->Parse(path);
  if (ref.kind == Layout::Kind::kOther || ref.kind == Layout::Kind::kRoot) return;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(ref.service);
  if (it == entries_.end()) return;
  Entry& entry = *it->second;
  switch (ref.kind) {
    case Layout::Kind::kService:
      entry.stale.all = true;
      break;
    case Layout::Kind::kInstanceDir:
      entry.stale.instance_dir = true;
      break;
    case Layout::Kind::kInstance:
      entry.stale.instances.insert(ref.id);
      break;
    case Layout::Kind::kPropertyDir:
    case Layout::Kind::kProperty:
      entry.stale.property = true;
      break;
    case Layout::Kind::kOther:
    case Layout::Kind::kRoot:
      break;
  }
  ++entry.changes;
}

void ServiceCache::OnNewSession() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [service, entry] : entries_) {
    entry->stale.all = true;
    ++entry->changes;
  }
}

void ServiceCache::EvictIdle(Clock::time_point now) {
  if (now - last_eviction_ < std::chrono::minutes(1)) return;
  last_eviction_ = now;
  for (auto it = entries_.begin(); it != entries_.end();) {
    it = now - it->second->last_used > kIdleTimeout ? entries_.erase(it) : std::next(it);
  }
}

}  // namespace zk
}  // namespace kreg
