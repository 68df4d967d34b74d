#include "format/json_format.h"

#include <utility>

namespace kreg {
namespace format {

using nlohmann::json;

namespace {

// Reads optional field `key` of object `j` into *out; false when the field
// is present with another type.
bool ReadString(const json& j, const char* key, std::string* out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return true;
  if (!it->is_string()) return false;
  *out = it->get<std::string>();
  return true;
}

bool ReadInt(const json& j, const char* key, int64_t* out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return true;
  if (!it->is_number_integer()) return false;
  *out = it->get<int64_t>();
  return true;
}

bool ReadStringMap(const json& j, StringMap* out) {
  if (j.is_null()) return true;
  if (!j.is_object()) return false;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (!it.value().is_string()) return false;
    (*out)[it.key()] = it.value().get<std::string>();
  }
  return true;
}

bool ReadStringMapField(const json& j, const char* key, StringMap* out) {
  auto it = j.find(key);
  return it == j.end() || ReadStringMap(*it, out);
}

Status Malformed(std::string_view what, std::string_view where, std::string_view field) {
  return Status::Corrupt(std::string(what) + " at " + std::string(where) + ": field \"" +
                         std::string(field) + "\" has the wrong type");
}

Status Parse(std::string_view text, std::string_view where, json* out) {
  *out = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (out->is_discarded()) {
    return Status::Corrupt("malformed JSON at " + std::string(where) + " (" + std::to_string(text.size()) +
                           " bytes)");
  }
  return Status::OK();
}

json ZoneWeightsToJson(const Property& property) {
  json weights = json::object();
  for (const auto& [zone, w] : property.zone_weights) {
    json dst = json::object();
    for (const auto& [to, weight] : w.dst) dst[to] = weight;
    weights[zone] = {{"src", w.src}, {"dst", std::move(dst)}};
  }
  return weights;
}

}  // namespace

json InstanceToJson(const Instance& in) {
  return json{{"id", in.id},
              {"service_name", in.service_name},
              {"zone", in.zone},
              {"env", in.env},
              {"hostname", in.hostname},
              {"addrs", in.addrs},
              {"metadata", in.metadata},
              {"reg_time", in.reg_time},
              {"update_time", in.update_time}};
}

Status InstanceFromJson(const json& j, std::string_view where, Instance* out) {
  if (!j.is_object()) return Status::Corrupt("instance at " + std::string(where) + " is not a JSON object");
  Instance in;
  const char* bad = nullptr;
  if (!ReadString(j, "id", &in.id)) bad = "id";
  else if (!ReadString(j, "service_name", &in.service_name)) bad = "service_name";
  else if (!ReadString(j, "zone", &in.zone)) bad = "zone";
  else if (!ReadString(j, "env", &in.env)) bad = "env";
  else if (!ReadString(j, "hostname", &in.hostname)) bad = "hostname";
  else if (!ReadStringMapField(j, "addrs", &in.addrs)) bad = "addrs";
  else if (!ReadStringMapField(j, "metadata", &in.metadata)) bad = "metadata";
  else if (!ReadInt(j, "reg_time", &in.reg_time)) bad = "reg_time";
  else if (!ReadInt(j, "update_time", &in.update_time)) bad = "update_time";
  if (bad != nullptr) return Malformed("instance", where, bad);
  *out = std::move(in);
  return Status::OK();
}

json PropertyToJson(const Property& p) {
  return json{{"service_name", p.service_name}, {"zone_weights", ZoneWeightsToJson(p)}, {"attrs", p.attrs}};
}

Status PropertyFromJson(const json& j, std::string_view where, Property* out) {
  if (!j.is_object()) return Status::Corrupt("property at " + std::string(where) + " is not a JSON object");
  Property p;
  if (!ReadString(j, "service_name", &p.service_name)) return Malformed("property", where, "service_name");
  auto weights = j.find("zone_weights");
  if (weights != j.end() && !weights->is_null()) {
    if (!weights->is_object()) return Malformed("property", where, "zone_weights");
    for (auto it = weights->begin(); it != weights->end(); ++it) {
      const json& w = it.value();
      ZoneWeight zw;
      if (!w.is_object() || !ReadString(w, "src", &zw.src)) return Malformed("property", where, "zone_weights");
      auto dst = w.find("dst");
      if (dst != w.end() && !dst->is_null()) {
        if (!dst->is_object()) return Malformed("property", where, "zone_weights.dst");
        for (auto d = dst->begin(); d != dst->end(); ++d) {
          if (!d.value().is_number_unsigned()) return Malformed("property", where, "zone_weights.dst");
          zw.dst[d.key()] = d.value().get<uint64_t>();
        }
      }
      p.zone_weights[it.key()] = std::move(zw);
    }
  }
  auto attrs = j.find("attrs");
  if (attrs != j.end() && !attrs->is_null()) {
    if (!attrs->is_object()) return Malformed("property", where, "attrs");
    for (auto it = attrs->begin(); it != attrs->end(); ++it) {
      if (!ReadStringMap(it.value(), &p.attrs[it.key()])) return Malformed("property", where, "attrs");
    }
  }
  *out = std::move(p);
  return Status::OK();
}

std::string EncodeInstance(const Instance& instance) { return InstanceToJson(instance).dump(); }

Status DecodeInstance(std::string_view text, std::string_view where, Instance* out) {
  json j;
  Status s = Parse(text, where, &j);
  return s.ok() ? InstanceFromJson(j, where, out) : s;
}

std::string EncodeProperty(const Property& property) { return PropertyToJson(property).dump(); }

Status DecodeProperty(std::string_view text, std::string_view where, Property* out) {
  json j;
  Status s = Parse(text, where, &j);
  return s.ok() ? PropertyFromJson(j, where, out) : s;
}

void MergeProperty(const Property& property, Service* service) {
  for (auto& [zone, by_id] : service->instances) {
    for (auto& [id, instance] : by_id) {
      auto attrs = property.attrs.find(id);
      if (attrs == property.attrs.end()) continue;
      for (const auto& [k, v] : attrs->second) instance.metadata[k] = v;
    }
  }
  if (!property.zone_weights.empty()) {
    service->metadata[kMetadataZoneWeight] = ZoneWeightsToJson(property).dump();
  }
}

json ServiceToJson(const Service& service) {
  json instances = json::object();
  for (const auto& [zone, by_id] : service.instances) {
    json zone_json = json::object();
    for (const auto& [id, instance] : by_id) {
      json j = InstanceToJson(instance);
      j["version"] = instance.version;
      j["data_version"] = instance.data_version;
      zone_json[id] = std::move(j);
    }
    instances[zone] = std::move(zone_json);
  }
  return json{{"service_name", service.service_name},
              {"instances", std::move(instances)},
              {"metadata", service.metadata},
              {"update_time", service.update_time},
              {"version", service.version}};
}

json EventToJson(const WatchEvent& event) {
  json j{{"type", EventTypeName(event.type)}, {"info", EventInfoName(event.info)}};
  if (!event.service_name.empty()) j["service_name"] = event.service_name;
  if (event.info == EventInfo::kInstance) j["data"] = InstanceToJson(event.instance);
  if (event.info == EventInfo::kProperty) j["data"] = PropertyToJson(event.property);
  if (event.type != EventType::kSynced && event.type != EventType::kError) {
    j["version"] = event.version;
    j["data_version"] = event.data_version;
  }
  if (event.type == EventType::kError) j["message"] = event.message;
  return j;
}

}  // namespace format
}  // namespace kreg
