#include "watch_state.h"

#include <algorithm>
#include <utility>

namespace kreg {
namespace file {

namespace {

WatchEvent InstanceEvent(const Instance& instance) {
  WatchEvent e;
  e.info = EventInfo::kInstance;
  e.service_name = instance.service_name;
  e.instance = instance;
  e.data_version = instance.data_version;
  return e;
}

WatchEvent PropertyEvent(const Property& property) {
  WatchEvent e;
  e.info = EventInfo::kProperty;
  e.service_name = property.service_name;
  e.property = property;
  e.data_version = property.data_version;
  return e;
}

// The version of the entry an event carries: a new one is a new state.
int64_t EntryVersion(const WatchEvent& e) {
  return e.info == EventInfo::kInstance ? e.instance.version : e.property.version;
}

}  // namespace

std::vector<WatchEvent> WatchState::Advance(const Snapshot& snapshot) {
  std::vector<WatchEvent> events;
  std::map<Key, WatchEvent> next;
  // Records the event that `current` is for key `key`, if any.
  auto visit = [&](Key key, WatchEvent current, int64_t version) {
    auto old = reported_.find(key);
    if (old == reported_.end()) {
      current.type = EventType::kCreate;
    } else if (EntryVersion(old->second) != EntryVersion(current)) {
      current.type = EventType::kModify;
    } else {
      next.emplace(std::move(key), old->second);
      return;
    }
    current.version = version;
    events.push_back(current);
    next.emplace(std::move(key), std::move(current));
  };
  for (const auto& [name, record] : snapshot.services) {
    for (const auto& [id, entry] : record.instances) {
      visit(Key{name, EventInfo::kInstance, id}, InstanceEvent(entry.instance), record.version);
    }
    if (record.property) visit(Key{name, EventInfo::kProperty, ""}, PropertyEvent(*record.property), record.version);
  }

  for (auto& [key, last] : reported_) {
    if (next.count(key) != 0) continue;
    WatchEvent e = std::move(last);
    e.type = EventType::kDelete;
    auto record = snapshot.services.find(key.service);
    if (record != snapshot.services.end()) {
      e.version = record->second.version;
    } else {
      e.version = std::max(snapshot.revision, service_versions_[key.service] + 1);
    }
    events.push_back(std::move(e));
  }
  std::stable_sort(events.begin(), events.end(),
                   [](const WatchEvent& a, const WatchEvent& b) { return a.version < b.version; });

  reported_ = std::move(next);
  for (const WatchEvent& e : events) service_versions_[e.service_name] = e.version;
  return events;
}

}  // namespace file
}  // namespace kreg
