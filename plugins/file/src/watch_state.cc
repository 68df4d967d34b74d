#include "watch_state.h"

#include <algorithm>
#include <utility>

#include "kreg/events.hpp"

namespace kreg {
namespace file {

namespace {

// The version of the entry an event carries: a new one is a new state.
int64_t EntryVersion(const WatchEvent& e) {
  return e.info == EventInfo::kInstance ? e.instance.version : e.property.version;
}

}  // namespace

std::vector<WatchEvent> WatchState::Advance(const Snapshot& snapshot) {
  std::vector<WatchEvent> events;
  std::map<Key, WatchEvent> next;
  // Records the event that `current` (made as a create) is for key `key`,
  // if any.
  auto visit = [&](Key key, WatchEvent current) {
    auto old = reported_.find(key);
    if (old != reported_.end() && EntryVersion(old->second) == EntryVersion(current)) {
      next.emplace(std::move(key), old->second);
      return;
    }
    if (old != reported_.end()) current.type = EventType::kModify;
    events.push_back(current);
    next.emplace(std::move(key), std::move(current));
  };
  for (const auto& [name, record] : snapshot.services) {
    for (const auto& [id, entry] : record.instances) {
      visit(Key{name, EventInfo::kInstance, id}, InstanceEvent(EventType::kCreate, entry.instance, record.version));
    }
    if (record.property) {
      visit(Key{name, EventInfo::kProperty, ""}, PropertyEvent(EventType::kCreate, *record.property, record.version));
    }
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
