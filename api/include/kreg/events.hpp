// The watch events a backend sends (kreg.h kreg_watch_event; the rules of
// their versions are api/CONTRACT.md "Versions"), made the one way every
// backend makes them.
#ifndef KREG_EVENTS_HPP_
#define KREG_EVENTS_HPP_

#include <cstdint>
#include <string>
#include <utility>

#include "kreg/types.hpp"

namespace kreg {

// An instance created, modified or deleted, bringing its service to the
// state `version`. A delete carries the instance as it was last reported
// (at least its service_name and id). data_version is the instance's.
inline WatchEvent InstanceEvent(EventType type, Instance instance, int64_t version) {
  WatchEvent e;
  e.type = type;
  e.info = EventInfo::kInstance;
  e.service_name = instance.service_name;
  e.data_version = instance.data_version;
  e.instance = std::move(instance);
  e.version = version;
  return e;
}

// The same for a service's property.
inline WatchEvent PropertyEvent(EventType type, Property property, int64_t version) {
  WatchEvent e;
  e.type = type;
  e.info = EventInfo::kProperty;
  e.service_name = property.service_name;
  e.data_version = property.data_version;
  e.property = std::move(property);
  e.version = version;
  return e;
}

// The end of the initial state: every event before it was a create.
inline WatchEvent SyncedEvent() {
  WatchEvent e;
  e.type = EventType::kSynced;
  return e;
}

// A problem the watch reports and goes on from (the store became
// unreadable, say), which `message` tells: what, where. The watch keeps
// trying and reports what changed meanwhile once it can read again.
inline WatchEvent ErrorEvent(std::string message) {
  WatchEvent e;
  e.type = EventType::kError;
  e.message = std::move(message);
  return e;
}

}  // namespace kreg

#endif  // KREG_EVENTS_HPP_
