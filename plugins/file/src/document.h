// Document: the registry file, held for one read-modify-write.
//
// Instance entries are kept as the text they were stored as, each with its
// lease read out: a write parses only the entries it touches and copies the
// others through, so its cost is a scan of the file, not a parse of it. A
// record some other tool wrote (malformed, or with fields this plugin does
// not know) is copied through unchanged.
//
// Not thread-safe: one writer at a time, under the file lock.
#ifndef KREG_PLUGINS_FILE_DOCUMENT_H_
#define KREG_PLUGINS_FILE_DOCUMENT_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "file_format.h"
#include "kreg/status.hpp"
#include "kreg/types.hpp"

namespace kreg {
namespace file {

class Document {
 public:
  struct InstanceSlot {
    std::string text;              // the entry's JSON as stored
    std::optional<int64_t> lease;  // its expires_at_ms, when an integer
    // What makes the text JSON the plugin cannot read (JsonProblem::what);
    // empty when it can. Such an entry is malformed, kept only as text.
    std::string unreadable;
  };

  struct ServiceSlot {
    // Why the record is malformed; empty when it is well-formed. A
    // malformed record is kept only as `malformed_text`.
    std::string malformed;
    std::string malformed_text;
    int64_t version = 0;
    // The members but version and instances (the property, and any another
    // tool added), as the JSON text they were stored as.
    std::map<std::string, std::string> others;
    std::map<std::string, InstanceSlot> instances;  // id -> entry
  };

  // An empty registry: what a missing file reads as.
  explicit Document(std::string path);

  // Parses the content of the file at `path`. CORRUPT, saying what is
  // wrong, when it is not a kreg file (not JSON, empty, truncated, the
  // wrong top-level shape or format_version, or JSON the plugin cannot
  // read outside the service records). Such JSON inside a record makes
  // that record malformed.
  static Status Parse(std::string path, std::string_view bytes, Document* out);

  std::string Serialize() const;

  const std::string& path() const { return path_; }
  int64_t revision() const { return revision_; }
  const std::map<std::string, ServiceSlot>& services() const { return services_; }
  // True once anything was changed since Parse, leases included.
  bool dirty() const { return dirty_; }
  // Records that the file now holds this content: dirty() is false until
  // the next change.
  void MarkSaved() { dirty_ = false; }

  // Starts a write: every change until the document is saved takes one
  // revision, the larger of revision() + 1 and `not_below` (one write is
  // one transaction: its events share its version). REQUIRES: called
  // before the first change of each write. CORRUPT, changing nothing, when
  // the revision is the largest int64 (only a hand-edited file gets there).
  Status BeginWrite(int64_t not_below);

  // Removes every instance entry whose lease ended before `now_ms`, as a
  // change. Malformed entries and services are left alone: what the plugin
  // cannot read it does not delete. Returns how many were removed.
  int SweepExpired(int64_t now_ms);

  // Stamps every well-formed service, instance entry and property with
  // this write's revision, as a change even when there is none to stamp.
  // For a file that went back (an older copy restored): its versions may
  // have been handed out for other content, so none of them is kept.
  void RestampAll();

  // True when (service, id) holds an instance entry readers would return
  // (expired or not); *out is that entry.
  bool GetInstance(const std::string& service, const std::string& id, InstanceEntry* out) const;

  // Stores `instance` (whose service_name and id are the key) as a change:
  // creates the entry (data_version 1) or rewrites it (data_version + 1),
  // with the lease ending at `expires_at_ms`. A malformed entry under the
  // key is replaced. CORRUPT when the service record is malformed or a
  // counter would pass the largest int64.
  Status PutInstance(const Instance& instance, int64_t expires_at_ms);

  // Moves the lease end of an entry GetInstance accepts. Not a change: the
  // revision and versions stay, no watcher sees an event.
  void RenewLease(const std::string& service, const std::string& id, int64_t expires_at_ms);

  // Removes the entry under (service, id) as a change; *removed is false
  // (and nothing changes) when there is none. CORRUPT when the service
  // record is malformed.
  Status RemoveInstance(const std::string& service, const std::string& id, bool* removed);

  // Stores the service's property as a change, creating or replacing it.
  // CORRUPT as PutInstance.
  Status PutProperty(const Property& property);

 private:
  // Stamps a change into the file and service `slot`.
  void Stamp(ServiceSlot* slot);
  // The record of `service`, created when missing and `create` is set;
  // null (and OK) when missing and not created. CORRUPT when malformed.
  Status MutableService(const std::string& service, bool create, ServiceSlot** out);

  std::string path_;
  // Top-level members but "services" and "revision", in order, as the JSON
  // text they were stored as: kept for the rewrite.
  std::vector<std::pair<std::string, std::string>> top_;
  int64_t revision_ = 0;
  int64_t write_revision_ = 1;  // what the changes of this write take
  std::map<std::string, ServiceSlot> services_;
  bool dirty_ = false;
};

// Parses the text of an entry; a discarded value when it is not JSON.
nlohmann::json ParseEntry(std::string_view text);

// Decodes the instance entry `slot` stored under (service, id), as
// DecodeInstanceEntry does; CORRUPT, saying where (`where`) and what is
// wrong, when it is malformed or unreadable.
Status DecodeInstanceSlot(const Document::InstanceSlot& slot, const std::string& service, const std::string& id,
                          std::string_view where, InstanceEntry* out);

}  // namespace file
}  // namespace kreg

#endif  // KREG_PLUGINS_FILE_DOCUMENT_H_
