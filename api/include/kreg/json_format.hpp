// The stored JSON format, shared with the Go keeper (api/CONTRACT.md
// "Data model"), for every backend: field names are fixed; unknown fields
// written by other tools are ignored on read; a field of the wrong type
// makes the whole record malformed (CORRUPT: the caller logs and skips it,
// never crashes). Header-only; needs nlohmann-json (target kreg::format).
#ifndef KREG_JSON_FORMAT_HPP_
#define KREG_JSON_FORMAT_HPP_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

#include "kreg/plain_instance.hpp"
#include "kreg/status.hpp"
#include "kreg/types.hpp"
#include "kreg/validate.hpp"

namespace kreg {
namespace format {

using nlohmann::json;

namespace internal {

// Reads optional field `key` of object `j` into *out; false when the field
// is present with another type.
inline bool ReadString(const json& j, const char* key, std::string* out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return true;
  if (!it->is_string()) return false;
  *out = it->get<std::string>();
  return true;
}

inline bool ReadInt(const json& j, const char* key, int64_t* out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return true;
  // An unsigned number past int64 would wrap to a negative time.
  if (!it->is_number_integer()) return false;
  if (it->is_number_unsigned() && it->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) return false;
  *out = it->get<int64_t>();
  return true;
}

inline bool ReadStringMap(const json& j, StringMap* out) {
  if (j.is_null()) return true;
  if (!j.is_object()) return false;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (!it.value().is_string()) return false;
    (*out)[it.key()] = it.value().get<std::string>();
  }
  return true;
}

inline bool ReadStringMapField(const json& j, const char* key, StringMap* out) {
  auto it = j.find(key);
  return it == j.end() || ReadStringMap(*it, out);
}

inline Status Malformed(std::string_view what, std::string_view where, std::string_view field) {
  return Status::Corrupt(std::string(what) + " at " + std::string(where) + ": field \"" +
                         std::string(field) + "\" has the wrong type");
}

inline Status Parse(std::string_view text, std::string_view where, json* out) {
  *out = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (out->is_discarded()) {
    return Status::Corrupt("malformed JSON at " + std::string(where) + " (" + std::to_string(text.size()) +
                           " bytes)");
  }
  return Status::OK();
}

inline json ZoneWeightsToJson(const Property& property) {
  json weights = json::object();
  for (const auto& [zone, w] : property.zone_weights) {
    json dst = json::object();
    for (const auto& [to, weight] : w.dst) dst[to] = weight;
    weights[zone] = {{"src", w.src}, {"dst", std::move(dst)}};
  }
  return weights;
}

}  // namespace internal

// An instance or a property as the JSON object stored for it. The
// read-only version and data_version are not stored.
inline json InstanceToJson(const Instance& in) {
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

// `where` names the record in the error, e.g. a znode path.
inline Status InstanceFromJson(const json& j, std::string_view where, Instance* out) {
  if (!j.is_object()) return Status::Corrupt("instance at " + std::string(where) + " is not a JSON object");
  Instance in;
  const char* bad = nullptr;
  if (!internal::ReadString(j, "id", &in.id)) bad = "id";
  else if (!internal::ReadString(j, "service_name", &in.service_name)) bad = "service_name";
  else if (!internal::ReadString(j, "zone", &in.zone)) bad = "zone";
  else if (!internal::ReadString(j, "env", &in.env)) bad = "env";
  else if (!internal::ReadString(j, "hostname", &in.hostname)) bad = "hostname";
  else if (!internal::ReadStringMapField(j, "addrs", &in.addrs)) bad = "addrs";
  else if (!internal::ReadStringMapField(j, "metadata", &in.metadata)) bad = "metadata";
  else if (!internal::ReadInt(j, "reg_time", &in.reg_time)) bad = "reg_time";
  else if (!internal::ReadInt(j, "update_time", &in.update_time)) bad = "update_time";
  if (bad != nullptr) return internal::Malformed("instance", where, bad);
  *out = std::move(in);
  return Status::OK();
}

inline json PropertyToJson(const Property& p) {
  return json{{"service_name", p.service_name}, {"zone_weights", internal::ZoneWeightsToJson(p)}, {"attrs", p.attrs}};
}

inline Status PropertyFromJson(const json& j, std::string_view where, Property* out) {
  if (!j.is_object()) return Status::Corrupt("property at " + std::string(where) + " is not a JSON object");
  Property p;
  if (!internal::ReadString(j, "service_name", &p.service_name)) return internal::Malformed("property", where, "service_name");
  auto weights = j.find("zone_weights");
  if (weights != j.end() && !weights->is_null()) {
    if (!weights->is_object()) return internal::Malformed("property", where, "zone_weights");
    for (auto it = weights->begin(); it != weights->end(); ++it) {
      const json& w = it.value();
      ZoneWeight zw;
      if (!w.is_object() || !internal::ReadString(w, "src", &zw.src)) return internal::Malformed("property", where, "zone_weights");
      auto dst = w.find("dst");
      if (dst != w.end() && !dst->is_null()) {
        if (!dst->is_object()) return internal::Malformed("property", where, "zone_weights.dst");
        for (auto d = dst->begin(); d != dst->end(); ++d) {
          if (!d.value().is_number_unsigned()) return internal::Malformed("property", where, "zone_weights.dst");
          zw.dst[d.key()] = d.value().get<uint64_t>();
        }
      }
      p.zone_weights[it.key()] = std::move(zw);
    }
  }
  auto attrs = j.find("attrs");
  if (attrs != j.end() && !attrs->is_null()) {
    if (!attrs->is_object()) return internal::Malformed("property", where, "attrs");
    for (auto it = attrs->begin(); it != attrs->end(); ++it) {
      if (!internal::ReadStringMap(it.value(), &p.attrs[it.key()])) return internal::Malformed("property", where, "attrs");
    }
  }
  *out = std::move(p);
  return Status::OK();
}

// The stored text. Throws nlohmann::json::type_error on a string that is not
// UTF-8; EncodeStored below checks that and the size first.
inline std::string EncodeInstance(const Instance& instance) { return InstanceToJson(instance).dump(); }

// The text of a record as kreg writes it is read without a JSON tree
// (kreg/plain_instance.hpp); any other text the way InstanceFromJson reads
// a tree, with the same result.
inline Status DecodeInstance(std::string_view text, std::string_view where, Instance* out) {
  if (internal::PlainInstanceReader(text).Read(out)) return Status::OK();
  json j;
  Status s = internal::Parse(text, where, &j);
  return s.ok() ? InstanceFromJson(j, where, out) : s;
}

inline std::string EncodeProperty(const Property& property) { return PropertyToJson(property).dump(); }

inline Status DecodeProperty(std::string_view text, std::string_view where, Property* out) {
  json j;
  Status s = internal::Parse(text, where, &j);
  return s.ok() ? PropertyFromJson(j, where, out) : s;
}

// The stored text of `value`, checked as every backend must before it
// writes: INVALID_ARGUMENT naming the instance (service/id) or the property
// when a string is not UTF-8 or the text is over kMaxStoredBytes; nothing
// is to be stored then.
inline Status EncodeStored(const Instance& instance, std::string* out) {
  const std::string name = instance.service_name + "/" + instance.id;
  try {
    *out = EncodeInstance(instance);
  } catch (const json::exception&) {
    return Status::InvalidArgument("instance \"" + name + "\" has a string that is not valid UTF-8");
  }
  return ValidateStoredSize("instance", name, out->size());
}

inline Status EncodeStored(const Property& property, std::string* out) {
  try {
    *out = EncodeProperty(property);
  } catch (const json::exception&) {
    return Status::InvalidArgument("property of \"" + property.service_name +
                                   "\" has a string that is not valid UTF-8");
  }
  return ValidateStoredSize("property", property.service_name, out->size());
}

// Joins a service's property into it as readers see it: attrs[id] is merged
// into that instance's metadata (the property wins), and the zone weights
// go, as JSON {"<zone>": {"src": "<zone>", "dst": {"<zone>": <weight>}}},
// under service metadata key kMetadataZoneWeight. The two overloads below
// are its parts, for a caller that merges instance by instance.
inline void MergeProperty(const Property& property, Instance* instance) {
  auto attrs = property.attrs.find(instance->id);
  if (attrs == property.attrs.end()) return;
  for (const auto& [k, v] : attrs->second) instance->metadata[k] = v;
}

inline void MergeZoneWeights(const Property& property, Service* service) {
  if (!property.zone_weights.empty()) {
    service->metadata[kMetadataZoneWeight] = internal::ZoneWeightsToJson(property).dump();
  }
}

inline void MergeProperty(const Property& property, Service* service) {
  for (auto& [zone, by_id] : service->instances) {
    for (auto& [id, instance] : by_id) {
      if (property.attrs.count(id) == 0) continue;
      // Instances are shared: the merged one is a new object.
      auto merged = std::make_shared<Instance>(*instance);
      MergeProperty(property, merged.get());
      instance = std::move(merged);
    }
  }
  MergeZoneWeights(property, service);
}

// The read-side views printed by kregctl --json: stored fields plus the
// backend's version and data_version.
inline json ServiceToJson(const Service& service) {
  json instances = json::object();
  for (const auto& [zone, by_id] : service.instances) {
    json zone_json = json::object();
    for (const auto& [id, instance] : by_id) {
      json j = InstanceToJson(*instance);
      j["version"] = instance->version;
      j["data_version"] = instance->data_version;
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

inline json EventToJson(const WatchEvent& event) {
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

#endif  // KREG_JSON_FORMAT_HPP_
