#include "watch_state.h"

#include <algorithm>
#include <set>
#include <utility>

namespace kreg {
namespace file {

namespace {

WatchEvent InstanceEvent(const Instance& instance) {
  WatchEvent e;
  e.info = EventInfo::kInstance;
  e.service_name = instance.service_name;
  e.instance = instance;
  e.version = instance.version;
  e.data_version = instance.data_version;
  return e;
}

WatchEvent PropertyEvent(const Property& property) {
  WatchEvent e;
  e.info = EventInfo::kProperty;
  e.service_name = property.service_name;
  e.property = property;
  e.version = property.version;
  e.data_version = property.data_version;
  return e;
}

}  // namespace

void WatchState::NumberDeletes(const std::vector<WatchEvent>& batch, int64_t previous_version,
                               int64_t service_version, std::vector<WatchEvent>* deletes) const {
  std::set<int64_t> taken;
  for (const WatchEvent& e : batch) {
    if (e.service_name == deletes->front().service_name) taken.insert(e.version);
  }
  std::vector<int64_t> free;
  for (int64_t v = service_version; v > previous_version && free.size() < deletes->size(); --v) {
    if (taken.count(v) == 0) free.push_back(v);
  }
  // Only a file edited, replaced or removed by hand lacks revisions for
  // every delete; numbering on past every version seen keeps the order.
  int64_t next = std::max(previous_version, service_version);
  if (!taken.empty()) next = std::max(next, *taken.rbegin());
  while (free.size() < deletes->size()) free.push_back(++next);
  std::sort(free.begin(), free.end());
  for (size_t i = 0; i < deletes->size(); ++i) (*deletes)[i].version = free[i];
}

std::vector<WatchEvent> WatchState::Advance(const Snapshot& snapshot, int64_t now_ms) {
  std::vector<WatchEvent> events;
  std::map<Key, WatchEvent> next;
  // Records the event that `current` is for key `key`, if any.
  auto visit = [&](Key key, WatchEvent current, bool expired) {
    auto old = reported_.find(key);
    if (old == reported_.end()) {
      if (expired) return;
      current.type = EventType::kCreate;
    } else if (old->second.version != current.version) {
      current.type = EventType::kModify;
    } else {
      next.emplace(std::move(key), old->second);
      return;
    }
    events.push_back(current);
    next.emplace(std::move(key), std::move(current));
  };
  for (const auto& [name, record] : snapshot.services) {
    for (const auto& [id, entry] : record.instances) {
      visit(Key{name, EventInfo::kInstance, id}, InstanceEvent(entry.instance), entry.expires_at_ms < now_ms);
    }
    if (record.property) visit(Key{name, EventInfo::kProperty, ""}, PropertyEvent(*record.property), false);
  }

  std::map<std::string, std::vector<WatchEvent>> deletes;  // by service
  for (auto& [key, last] : reported_) {
    if (next.count(key) != 0) continue;
    WatchEvent e = std::move(last);
    e.type = EventType::kDelete;
    deletes[key.service].push_back(std::move(e));
  }
  for (auto& [name, service_deletes] : deletes) {
    auto record = snapshot.services.find(name);
    // A service record removed by hand: its deletes end at the file's revision.
    int64_t version = record != snapshot.services.end() ? record->second.version : snapshot.revision;
    auto previous = service_versions_.find(name);
    NumberDeletes(events, previous != service_versions_.end() ? previous->second : 0, version, &service_deletes);
    for (WatchEvent& e : service_deletes) events.push_back(std::move(e));
  }
  std::stable_sort(events.begin(), events.end(),
                   [](const WatchEvent& a, const WatchEvent& b) { return a.version < b.version; });

  reported_ = std::move(next);
  service_versions_.clear();
  for (const auto& [name, record] : snapshot.services) service_versions_[name] = record.version;
  return events;
}

}  // namespace file
}  // namespace kreg
