// The stored JSON format, shared with the Go keeper (api/CONTRACT.md
// "Data model"): field names are fixed; unknown fields written by other tools are
// ignored on read; a field of the wrong type makes the whole record
// malformed (the caller logs and skips it, never crashes).
#ifndef KREG_FORMAT_JSON_FORMAT_H_
#define KREG_FORMAT_JSON_FORMAT_H_

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "kreg/status.hpp"
#include "kreg/types.hpp"

namespace kreg {
namespace format {

nlohmann::json InstanceToJson(const Instance& instance);
// `where` names the record in the error, e.g. a znode path.
Status InstanceFromJson(const nlohmann::json& j, std::string_view where, Instance* out);

nlohmann::json PropertyToJson(const Property& property);
Status PropertyFromJson(const nlohmann::json& j, std::string_view where, Property* out);

std::string EncodeInstance(const Instance& instance);
Status DecodeInstance(std::string_view text, std::string_view where, Instance* out);
std::string EncodeProperty(const Property& property);
Status DecodeProperty(std::string_view text, std::string_view where, Property* out);

// Joins a service's property into it as readers see it: attrs[id] is merged
// into that instance's metadata (the property wins), and the zone weights
// go, as JSON, under service metadata key kMetadataZoneWeight.
void MergeProperty(const Property& property, Service* service);

// The read-side views printed by kregctl --json: stored fields plus the
// backend's version and data_version.
nlohmann::json ServiceToJson(const Service& service);
nlohmann::json EventToJson(const WatchEvent& event);

}  // namespace format
}  // namespace kreg

#endif  // KREG_FORMAT_JSON_FORMAT_H_
