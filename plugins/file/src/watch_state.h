// WatchState: what one watch has reported so far, and the events that take
// its consumer from there to a newer snapshot of the file.
//
// Entries are compared by (service, kind, id) and version: a new key is a
// CREATE, a new version a MODIFY, a vanished key a DELETE carrying the
// entry's last reported data. An expired lease still in the file is kept
// if reported (the write that removes it gives the DELETE its version) and
// not reported if new. The first Advance thus yields the initial state.
//
// A DELETE's version: every change in the file has its own revision and
// stamps its service, so between two snapshots a service's changes took
// distinct revisions in (last reported service version, new service
// version]. Deletes get the highest of those revisions not carried by a
// CREATE or MODIFY of the same service in this batch. When the watch saw
// the removing write alone, that is exactly the revision of the delete;
// when writes were coalesced, versions still rise strictly per service and
// the last event of the service carries the service's version. A file
// edited, replaced or removed by hand may lack those revisions; its deletes
// are then numbered on from the highest version seen, to keep the order.
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
  // the state then is `snapshot`. Leases ended before `now_ms` count as
  // described above.
  std::vector<WatchEvent> Advance(const Snapshot& snapshot, int64_t now_ms);

 private:
  struct Key {
    std::string service;
    EventInfo info;
    std::string id;  // empty for a property
    bool operator<(const Key& o) const {
      return std::tie(service, info, id) < std::tie(o.service, o.info, o.id);
    }
  };

  // Gives the deletes of one service their versions (see above).
  void NumberDeletes(const std::vector<WatchEvent>& batch, int64_t previous_version, int64_t service_version,
                     std::vector<WatchEvent>* deletes) const;

  std::map<Key, WatchEvent> reported_;  // each entry's last CREATE or MODIFY
  std::map<std::string, int64_t> service_versions_;
};

}  // namespace file
}  // namespace kreg

#endif  // KREG_PLUGINS_FILE_WATCH_STATE_H_
