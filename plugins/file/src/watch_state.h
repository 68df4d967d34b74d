// WatchState: what one watch has reported so far, and the events that take
// its consumer from there to a newer snapshot of the file.
//
// Entries are compared by (service, kind, id) and version: a new key is a
// CREATE, a new version a MODIFY, a vanished key a DELETE carrying the
// entry's last reported data. The first Advance thus yields the initial
// state.
//
// Versions: the events that take a service to its state in the snapshot
// carry that state's version, the service's version in the snapshot (one
// write is one revision; the writes a read coalesced end at the last one).
// So after each Advance a service's last event has the version get_service
// returns, and versions never go back as long as the snapshots' do
// (FileStore's promise). A service whose record is gone (the file removed,
// or the record edited away) has no version: its deletes take one more
// than the last version reported for it, or the file's revision if that
// is higher.
//
// Not thread-safe: owned by one watch thread.
#ifndef KREG_PLUGINS_FILE_WATCH_STATE_H_
#define KREG_PLUGINS_FILE_WATCH_STATE_H_

#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "kreg/types.hpp"
#include "snapshot.h"

namespace kreg {
namespace file {

class WatchState {
 public:
  // The events from the reported state to `snapshot`, ordered by version;
  // the state then is `snapshot`.
  std::vector<WatchEvent> Advance(const Snapshot& snapshot);

 private:
  struct Key {
    std::string service;
    EventInfo info;
    std::string id;  // empty for a property
    bool operator<(const Key& o) const {
      return std::tie(service, info, id) < std::tie(o.service, o.info, o.id);
    }
  };

  std::map<Key, WatchEvent> reported_;  // each entry's last CREATE or MODIFY
  std::map<std::string, int64_t> service_versions_;  // the last version reported per service
};

}  // namespace file
}  // namespace kreg

#endif  // KREG_PLUGINS_FILE_WATCH_STATE_H_
