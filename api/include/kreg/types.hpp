// The C++ value types of the data model (api/CONTRACT.md "Data model"). Plain
// structs with owning members; both the host and plugin layers use them.
#ifndef KREG_TYPES_HPP_
#define KREG_TYPES_HPP_

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

namespace kreg {

using StringMap = std::map<std::string, std::string>;

// Metadata key under which an instance is marked offline ("N").
inline constexpr const char* kMetadataOnline = "backend-metadata-online";
// Service metadata key holding the property's zone weights as JSON.
inline constexpr const char* kMetadataZoneWeight = "backend-metadata-zone_weight";

inline constexpr std::chrono::milliseconds kDefaultTtl{30000};

struct RegisterOptions {
  std::chrono::milliseconds ttl = kDefaultTtl;
  bool refresh = false;  // rewrite the stored data: a modify event
};

struct Instance {
  std::string id;
  std::string service_name;
  std::string zone;
  std::string env;
  std::string hostname;
  StringMap addrs;  // scheme -> "host:port"
  StringMap metadata;
  int64_t reg_time = 0;     // unix seconds
  int64_t update_time = 0;  // unix seconds
  int64_t version = 0;       // backend version of this state (read only)
  int64_t data_version = 0;  // backend's own data version (read only)

  // Keeper filters out instances marked offline by an admin.
  bool online() const {
    auto it = metadata.find(kMetadataOnline);
    return it == metadata.end() || it->second != "N";
  }
};

struct ZoneWeight {
  std::string src;
  std::map<std::string, uint64_t> dst;  // zone -> weight
};

struct Property {
  std::string service_name;
  std::map<std::string, ZoneWeight> zone_weights;  // zone -> weights
  std::map<std::string, StringMap> attrs;          // instance id -> attrs
  int64_t version = 0;
  int64_t data_version = 0;
};

// Instances are immutable once read and shared: successive snapshots of a
// service hold the same object for an instance that did not change, so a
// new snapshot costs a pointer per instance, not a copy of each.
using InstancePtr = std::shared_ptr<const Instance>;

struct Service {
  std::string service_name;
  // zone -> id -> instance; never null
  std::map<std::string, std::map<std::string, InstancePtr>> instances;
  StringMap metadata;
  int64_t update_time = 0;
  int64_t version = 0;

  size_t instance_count() const {
    size_t n = 0;
    for (const auto& [zone, by_id] : instances) n += by_id.size();
    return n;
  }

  // The instance `id` of `zone`; nullptr when there is none.
  const Instance* Find(const std::string& zone, const std::string& id) const {
    auto by_id = instances.find(zone);
    if (by_id == instances.end()) return nullptr;
    auto found = by_id->second.find(id);
    return found == by_id->second.end() ? nullptr : found->second.get();
  }
};

enum class EventType { kCreate, kModify, kDelete, kSynced, kError };
enum class EventInfo { kNone, kInstance, kProperty };

struct WatchEvent {
  EventType type = EventType::kSynced;
  EventInfo info = EventInfo::kNone;
  std::string service_name;
  Instance instance;  // when info == kInstance
  Property property;  // when info == kProperty
  int64_t version = 0;
  int64_t data_version = 0;
  std::string message;  // kError only
};

inline const char* EventTypeName(EventType t) {
  switch (t) {
    case EventType::kCreate: return "create";
    case EventType::kModify: return "modify";
    case EventType::kDelete: return "delete";
    case EventType::kSynced: return "synced";
    case EventType::kError: return "error";
  }
  return "unknown";
}

inline const char* EventInfoName(EventInfo i) {
  switch (i) {
    case EventInfo::kNone: return "none";
    case EventInfo::kInstance: return "instance";
    case EventInfo::kProperty: return "property";
  }
  return "unknown";
}

}  // namespace kreg

#endif  // KREG_TYPES_HPP_
