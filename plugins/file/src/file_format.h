// The registry file's schema. One JSON document:
//
//   {"format": "kreg-file", "format_version": 1, "revision": N,
//    "services": {
//      "<service>": {
//        "version": V,
//        "instances": {
//          "<id>": {"data": <Instance JSON>, "version": V, "data_version": D,
//                   "expires_at_ms": T}},
//        "property": {"data": <Property JSON>, "version": V, "data_version": D}}}}
//
// `revision` is that of the last write that changed something. A write
// takes one new revision, the larger of the previous one + 1 and the wall
// clock in unix microseconds, and stamps every entry it touches and their
// services with it, so a service's `version` is the revision of its last
// change (deletes included: the service record outlives its last
// instance). Being a time, a revision stays above every earlier one when
// the file is removed and created again or an older copy is written back
// (see FileStore). `data_version` counts the writes of one entry.
// `expires_at_ms` is the lease's end in unix ms.
// Instance and Property JSON are kreg/json_format.hpp's, the Go keeper's.
//
// A file whose top level does not match is not a kreg file (CORRUPT, never
// overwritten). Below the top level, a record of the wrong shape is
// malformed: readers skip it with a warning and writers keep it as it is.
#ifndef KREG_PLUGINS_FILE_FILE_FORMAT_H_
#define KREG_PLUGINS_FILE_FILE_FORMAT_H_

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "kreg/status.hpp"
#include "kreg/types.hpp"

namespace kreg {
namespace file {

inline constexpr const char* kFormatName = "kreg-file";
inline constexpr int64_t kFormatVersion = 1;

// An instance entry as readers see it: instance.version and data_version
// are the entry's.
struct InstanceEntry {
  Instance instance;
  int64_t expires_at_ms = 0;
};

// Empty when `root` has the top-level shape above; otherwise what is wrong,
// e.g. "\"format_version\" is 2, this plugin reads 1".
std::string CheckTopLevel(const nlohmann::json& root);

// "<path>: services[\"svc\"]", "<path>: services[\"svc\"].instances[\"id\"]":
// where a record is, for log lines and errors.
std::string ServiceWhere(std::string_view path, std::string_view service);
std::string InstanceWhere(std::string_view path, std::string_view service, std::string_view id);
std::string PropertyWhere(std::string_view path, std::string_view service);

// Decodes a well-formed instance entry stored under (service, id). The
// data's own service_name and id must be empty or match the keys.
Status DecodeInstanceEntry(const nlohmann::json& entry, const std::string& service, const std::string& id,
                           std::string_view where, InstanceEntry* out);

Status DecodePropertyEntry(const nlohmann::json& entry, const std::string& service, std::string_view where,
                           Property* out);

}  // namespace file
}  // namespace kreg

#endif  // KREG_PLUGINS_FILE_FILE_FORMAT_H_
