// Snapshot: the registry file decoded for readers, immutable once built.
//
// It holds every well-formed record, lapsed leases included; FileStore::Read
// hands it out only when no lease in it has lapsed, so that what readers
// see is what the file holds at its versions.
#ifndef KREG_PLUGINS_FILE_SNAPSHOT_H_
#define KREG_PLUGINS_FILE_SNAPSHOT_H_

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>

#include "document.h"
#include "file_format.h"
#include "kreg/plugin.hpp"
#include "kreg/types.hpp"

namespace kreg {
namespace file {

struct ServiceRecord {
  int64_t version = 0;
  std::map<std::string, InstanceEntry> instances;  // id -> entry
  std::optional<Property> property;
  // id -> the stored text of every instance entry, malformed ones too:
  // lets the next decode reuse what did not change.
  std::map<std::string, std::string> instance_texts;
};

struct Snapshot {
  int64_t revision = 0;
  std::map<std::string, ServiceRecord> services;
  // The earliest lease end of any instance; INT64_MAX when there is none.
  int64_t earliest_expiry_ms = std::numeric_limits<int64_t>::max();
};

// Decodes `doc`, logging (warn) and skipping each malformed record. An
// instance entry whose text is unchanged since `previous` (may be null) is
// taken from it instead of parsed again, and not warned about again.
Snapshot DecodeSnapshot(const Document& doc, const Snapshot* previous, const plugin::Logger& log);

// The service as get_service returns it: its instances whose lease has
// not ended by `now_ms`, the property merged in, update_time the latest of
// its instances', at the record's version. A lapsed lease is still in the
// snapshot only while the write that removes it waits for a busy lock
// (FileStore::Read); *hid_lapsed (may be null) then says the content
// differs from what that version was handed out with.
Service ToService(const std::string& name, const ServiceRecord& record, int64_t now_ms,
                  bool* hid_lapsed = nullptr);

}  // namespace file
}  // namespace kreg

#endif  // KREG_PLUGINS_FILE_SNAPSHOT_H_
