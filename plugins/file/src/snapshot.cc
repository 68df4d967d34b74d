#include "snapshot.h"

#include <algorithm>

#include "format/json_format.h"

namespace kreg {
namespace file {

Snapshot DecodeSnapshot(const Document& doc, const plugin::Logger& log) {
  auto skip = [&](const Status& s) { log.Warn("file: skipping malformed record " + s.message()); };
  Snapshot snap;
  snap.revision = doc.revision();
  for (const auto& [name, record_json] : doc.services().items()) {
    ServiceRecord record;
    Status s = DecodeServiceRecord(record_json, ServiceWhere(doc.path(), name), &record.version);
    if (!s.ok()) {
      skip(s);
      continue;
    }
    auto instances = record_json.find("instances");
    if (instances != record_json.end()) {
      for (const auto& [id, entry_json] : instances->items()) {
        InstanceEntry entry;
        s = DecodeInstanceEntry(entry_json, name, id, InstanceWhere(doc.path(), name, id), &entry);
        if (!s.ok()) {
          skip(s);
          continue;
        }
        snap.earliest_expiry_ms = std::min(snap.earliest_expiry_ms, entry.expires_at_ms);
        record.instances.emplace(id, std::move(entry));
      }
    }
    auto property = record_json.find("property");
    if (property != record_json.end()) {
      Property p;
      s = DecodePropertyEntry(*property, name, PropertyWhere(doc.path(), name), &p);
      if (s.ok()) {
        record.property = std::move(p);
      } else {
        skip(s);
      }
    }
    snap.services.emplace(name, std::move(record));
  }
  return snap;
}

Service ToService(const std::string& name, const ServiceRecord& record, int64_t now_ms) {
  Service service;
  service.service_name = name;
  service.version = record.version;
  for (const auto& [id, entry] : record.instances) {
    if (entry.expires_at_ms < now_ms) continue;
    service.update_time = std::max(service.update_time, entry.instance.update_time);
    service.instances[entry.instance.zone][id] = entry.instance;
  }
  if (record.property) format::MergeProperty(*record.property, &service);
  return service;
}

}  // namespace file
}  // namespace kreg
