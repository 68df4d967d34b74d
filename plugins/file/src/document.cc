#include "document.h"

#include <utility>

#include "file_format.h"
#include "format/json_format.h"

namespace kreg {
namespace file {

using nlohmann::json;

Document::Document(std::string path)
    : path_(std::move(path)),
      root_{{"format", kFormatName},
            {"format_version", kFormatVersion},
            {"revision", 0},
            {"services", json::object()}} {}

Status Document::Parse(std::string path, std::string_view bytes, Document* out) {
  auto not_kreg = [&](const std::string& what) {
    return Status::Corrupt(path + " is not a kreg file: " + what + "; move it away or fix it");
  };
  if (bytes.empty()) return not_kreg("it is empty (0 bytes)");
  json root = json::parse(bytes.begin(), bytes.end(), nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) {
    return not_kreg("it is not valid JSON (" + std::to_string(bytes.size()) + " bytes; truncated?)");
  }
  std::string wrong = CheckTopLevel(root);
  if (!wrong.empty()) return not_kreg(wrong);
  out->path_ = std::move(path);
  out->root_ = std::move(root);
  out->dirty_ = false;
  return Status::OK();
}

std::string Document::Serialize() const { return root_.dump() + "\n"; }

int64_t Document::Bump(json* record) {
  int64_t revision = root_["revision"].get<int64_t>() + 1;
  root_["revision"] = revision;
  (*record)["version"] = revision;
  dirty_ = true;
  return revision;
}

Status Document::MutableService(const std::string& service, bool create, json** out) {
  json& services = root_["services"];
  auto it = services.find(service);
  if (it == services.end()) {
    *out = nullptr;
    if (!create) return Status::OK();
    // Version 0 until the change that creates it stamps it.
    *out = &(services[service] = json{{"version", 0}, {"instances", json::object()}});
    return Status::OK();
  }
  int64_t version = 0;
  Status s = DecodeServiceRecord(*it, ServiceWhere(path_, service), &version);
  if (!s.ok()) {
    return Status::Corrupt(s.message() + "; the plugin will not change this service until the record is fixed or removed");
  }
  *out = &*it;
  return Status::OK();
}

int Document::SweepExpired(int64_t now_ms) {
  int removed = 0;
  for (auto& [service, record] : root_["services"].items()) {
    int64_t version = 0;
    if (!DecodeServiceRecord(record, "", &version).ok()) continue;
    auto instances = record.find("instances");
    if (instances == record.end()) continue;
    for (auto it = instances->begin(); it != instances->end();) {
      auto lease = it->is_object() ? it->find("expires_at_ms") : it->end();
      if (lease != it->end() && lease->is_number_integer() && lease->get<int64_t>() < now_ms) {
        it = instances->erase(it);
        Bump(&record);
        ++removed;
      } else {
        ++it;
      }
    }
  }
  return removed;
}

bool Document::GetInstance(const std::string& service, const std::string& id, InstanceEntry* out) const {
  const json& services = root_["services"];
  auto record = services.find(service);
  int64_t version = 0;
  if (record == services.end() || !DecodeServiceRecord(*record, "", &version).ok()) return false;
  auto instances = record->find("instances");
  if (instances == record->end()) return false;
  auto entry = instances->find(id);
  return entry != instances->end() && DecodeInstanceEntry(*entry, service, id, "", out).ok();
}

Status Document::PutInstance(const Instance& instance, int64_t expires_at_ms) {
  json* record = nullptr;
  Status s = MutableService(instance.service_name, /*create=*/true, &record);
  if (!s.ok()) return s;
  json& instances = (*record)["instances"];
  InstanceEntry old;
  int64_t data_version = GetInstance(instance.service_name, instance.id, &old) ? old.instance.data_version + 1 : 1;
  int64_t revision = Bump(record);
  instances[instance.id] = json{{"data", format::InstanceToJson(instance)},
                                {"version", revision},
                                {"data_version", data_version},
                                {"expires_at_ms", expires_at_ms}};
  return Status::OK();
}

void Document::RenewLease(const std::string& service, const std::string& id, int64_t expires_at_ms) {
  root_["services"][service]["instances"][id]["expires_at_ms"] = expires_at_ms;
  dirty_ = true;
}

Status Document::RemoveInstance(const std::string& service, const std::string& id, bool* removed) {
  *removed = false;
  json* record = nullptr;
  Status s = MutableService(service, /*create=*/false, &record);
  if (!s.ok() || record == nullptr) return s;
  auto instances = record->find("instances");
  if (instances == record->end() || instances->erase(id) == 0) return Status::OK();
  Bump(record);
  *removed = true;
  return Status::OK();
}

Status Document::PutProperty(const Property& property) {
  json* record = nullptr;
  Status s = MutableService(property.service_name, /*create=*/true, &record);
  if (!s.ok()) return s;
  int64_t data_version = 1;
  auto old = record->find("property");
  if (old != record->end()) {
    Property decoded;
    if (DecodePropertyEntry(*old, property.service_name, "", &decoded).ok()) {
      data_version = decoded.data_version + 1;
    }
  }
  int64_t revision = Bump(record);
  (*record)["property"] = json{{"data", format::PropertyToJson(property)},
                               {"version", revision},
                               {"data_version", data_version}};
  return Status::OK();
}

}  // namespace file
}  // namespace kreg
