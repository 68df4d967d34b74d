#include "snapshot.h"

#include <algorithm>

#include "kreg/data_model.hpp"
#include "kreg/json_format.hpp"

namespace kreg {
namespace file {

namespace {

// The entry (service, id) of `previous` when its text was `text`: *known
// is set, and *entry is null if it was malformed then.
void FindUnchanged(const Snapshot* previous, const std::string& service, const std::string& id,
                   const std::string& text, bool* known, const InstanceEntry** entry) {
  *known = false;
  *entry = nullptr;
  if (previous == nullptr) return;
  auto record = previous->services.find(service);
  if (record == previous->services.end()) return;
  auto old_text = record->second.instance_texts.find(id);
  if (old_text == record->second.instance_texts.end() || old_text->second != text) return;
  *known = true;
  auto old_entry = record->second.instances.find(id);
  if (old_entry != record->second.instances.end()) *entry = &old_entry->second;
}

}  // namespace

Snapshot DecodeSnapshot(const Document& doc, const Snapshot* previous, const plugin::Logger& log) {
  auto skip = [&](const std::string& why) { log.Warn("file: skipping malformed record " + why); };
  Snapshot snap;
  snap.revision = doc.revision();
  for (const auto& [name, slot] : doc.services()) {
    if (!slot.malformed.empty()) {
      skip(slot.malformed);
      continue;
    }
    ServiceRecord record;
    record.version = slot.version;
    for (const auto& [id, instance] : slot.instances) {
      record.instance_texts.emplace(id, instance.text);
      bool known = false;
      const InstanceEntry* unchanged = nullptr;
      FindUnchanged(previous, name, id, instance.text, &known, &unchanged);
      InstanceEntry entry;
      if (unchanged != nullptr) {
        entry = *unchanged;
      } else if (known) {
        continue;  // malformed, and warned about already
      } else {
        Status s = DecodeInstanceSlot(instance, name, id, InstanceWhere(doc.path(), name, id), &entry);
        if (!s.ok()) {
          skip(s.message());
          continue;
        }
      }
      snap.earliest_expiry_ms = std::min(snap.earliest_expiry_ms, entry.expires_at_ms);
      record.instances.emplace(id, std::move(entry));
    }
    auto property = slot.others.find("property");
    if (property != slot.others.end()) {
      Property p;
      Status s = DecodePropertyEntry(ParseEntry(property->second), name, PropertyWhere(doc.path(), name), &p);
      if (s.ok()) {
        record.property = std::move(p);
      } else {
        skip(s.message());
      }
    }
    snap.services.emplace(name, std::move(record));
  }
  return snap;
}

Service ToService(const std::string& name, const ServiceRecord& record, int64_t now_ms, bool* hid_lapsed) {
  Service service;
  service.service_name = name;
  service.version = record.version;
  if (hid_lapsed != nullptr) *hid_lapsed = false;
  for (const auto& [id, entry] : record.instances) {
    if (entry.expires_at_ms < now_ms) {
      if (hid_lapsed != nullptr) *hid_lapsed = true;
      continue;
    }
    AddInstance(entry.instance, &service);
  }
  if (record.property) format::MergeProperty(*record.property, &service);
  return service;
}

}  // namespace file
}  // namespace kreg
