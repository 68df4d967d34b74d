#include "file_format.h"

#include <cstdint>

#include "kreg/json_format.hpp"
#include "kreg/validate.hpp"

namespace kreg {
namespace file {

using nlohmann::json;

namespace {

Status Malformed(std::string_view where, std::string_view what) {
  return Status::Corrupt(std::string(where) + ": " + std::string(what));
}

// Reads integer field `key` of object `j`. An unsigned value above
// INT64_MAX is no int64_t (nor what the plugin's text scan reads).
bool GetInt(const json& j, const char* key, int64_t* out) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer()) return false;
  if (it->is_number_unsigned() && it->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) return false;
  *out = it->get<int64_t>();
  return true;
}

// Checks the fields every entry has and returns its "data".
Status DecodeEntryHeader(const json& entry, std::string_view where, int64_t* version, int64_t* data_version,
                         const json** data) {
  if (!entry.is_object()) return Malformed(where, "not a JSON object");
  auto it = entry.find("data");
  if (it == entry.end()) return Malformed(where, "no \"data\"");
  if (!GetInt(entry, "version", version)) return Malformed(where, "\"version\" is missing or not an integer");
  if (!GetInt(entry, "data_version", data_version)) {
    return Malformed(where, "\"data_version\" is missing or not an integer");
  }
  *data = &*it;
  return Status::OK();
}

std::string Quoted(std::string_view s) { return json(std::string(s)).dump(); }

}  // namespace

std::string CheckTopLevel(const json& root) {
  if (!root.is_object()) return "the top level is not a JSON object";
  auto format = root.find("format");
  if (format == root.end() || *format != kFormatName) {
    return std::string("\"format\" is not \"") + kFormatName + "\"";
  }
  int64_t version = 0;
  if (!GetInt(root, "format_version", &version)) return "\"format_version\" is missing or not an integer";
  if (version != kFormatVersion) {
    return "\"format_version\" is " + std::to_string(version) + ", this plugin reads " +
           std::to_string(kFormatVersion);
  }
  int64_t revision = 0;
  if (!GetInt(root, "revision", &revision) || revision < 0) {
    return "\"revision\" is missing or not a non-negative integer";
  }
  auto services = root.find("services");
  if (services == root.end() || !services->is_object()) return "\"services\" is missing or not an object";
  return std::string();
}

std::string ServiceWhere(std::string_view path, std::string_view service) {
  return std::string(path) + ": services[" + Quoted(service) + "]";
}

std::string InstanceWhere(std::string_view path, std::string_view service, std::string_view id) {
  return ServiceWhere(path, service) + ".instances[" + Quoted(id) + "]";
}

std::string PropertyWhere(std::string_view path, std::string_view service) {
  return ServiceWhere(path, service) + ".property";
}

Status DecodeInstanceEntry(const json& entry, const std::string& service, const std::string& id,
                           std::string_view where, InstanceEntry* out) {
  // Served, it could be neither read nor removed by name.
  Status valid = ValidateName("instance id", id);
  if (!valid.ok()) return Malformed(where, "its key is no instance id: " + valid.message());
  int64_t version = 0;
  int64_t data_version = 0;
  const json* data = nullptr;
  Status s = DecodeEntryHeader(entry, where, &version, &data_version, &data);
  if (!s.ok()) return s;
  int64_t expires_at_ms = 0;
  if (!GetInt(entry, "expires_at_ms", &expires_at_ms)) {
    return Malformed(where, "\"expires_at_ms\" is missing or not an integer");
  }
  InstanceEntry decoded;
  s = format::InstanceFromJson(*data, where, &decoded.instance);
  if (!s.ok()) return s;
  Instance& in = decoded.instance;
  if (!in.service_name.empty() && in.service_name != service) {
    return Malformed(where, "its service_name " + Quoted(in.service_name) + " differs from its key");
  }
  if (!in.id.empty() && in.id != id) return Malformed(where, "its id " + Quoted(in.id) + " differs from its key");
  in.service_name = service;
  in.id = id;
  in.version = version;
  in.data_version = data_version;
  decoded.expires_at_ms = expires_at_ms;
  *out = std::move(decoded);
  return Status::OK();
}

Status DecodePropertyEntry(const json& entry, const std::string& service, std::string_view where,
                           Property* out) {
  int64_t version = 0;
  int64_t data_version = 0;
  const json* data = nullptr;
  Status s = DecodeEntryHeader(entry, where, &version, &data_version, &data);
  if (!s.ok()) return s;
  Property p;
  s = format::PropertyFromJson(*data, where, &p);
  if (!s.ok()) return s;
  if (!p.service_name.empty() && p.service_name != service) {
    return Malformed(where, "its service_name " + Quoted(p.service_name) + " differs from its key");
  }
  p.service_name = service;
  p.version = version;
  p.data_version = data_version;
  *out = std::move(p);
  return Status::OK();
}

}  // namespace file
}  // namespace kreg
