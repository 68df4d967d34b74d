// The rules of the data model that every backend applies the same way
// (api/CONTRACT.md "Data model"): which times a backend fills in, and how
// stored instances make up the service that readers see. The stored JSON
// and the property merge are in kreg/json_format.hpp.
#ifndef KREG_DATA_MODEL_HPP_
#define KREG_DATA_MODEL_HPP_

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "kreg/types.hpp"

namespace kreg {

// Now in unix seconds: the clock every time a backend stores is read from.
// Not std::time(): glibc reads that from the coarse clock, up to a tick
// (4 ms) behind the system clock, so just after a second turns it stamps
// the second that every other reader of the system clock has left.
inline int64_t UnixSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Fills the times a caller left at 0 in an instance about to be stored:
// update_time becomes now; reg_time becomes the stored instance's own
// (`previous_reg_time`, 0 when there is none: a refresh keeps it), else
// update_time. Times a caller sets are stored as given.
inline void FillTimes(int64_t now_seconds, int64_t previous_reg_time, Instance* instance) {
  if (instance->update_time == 0) instance->update_time = now_seconds;
  if (instance->reg_time == 0) instance->reg_time = previous_reg_time;
  if (instance->reg_time == 0) instance->reg_time = instance->update_time;
}

// Adds a live instance to the service readers see: under its zone, and the
// service's update_time is its newest instance's. Instances added in
// (zone, id) order go in at the end of their zone's map without a search.
inline void AddInstance(InstancePtr instance, Service* service) {
  service->update_time = std::max(service->update_time, instance->update_time);
  std::map<std::string, InstancePtr>& by_id = service->instances[instance->zone];
  by_id.insert_or_assign(by_id.end(), instance->id, std::move(instance));
}

inline void AddInstance(Instance instance, Service* service) {
  AddInstance(std::make_shared<const Instance>(std::move(instance)), service);
}

// What changed from `base` to `now`, two snapshots of one service whose
// unchanged instances are shared (the same object in both): `changed`
// gets each instance of `now` that `base` does not hold as that object,
// `removed` each instance of `base` that `now` lacks. Both in (zone, id)
// order; a walk of the two sorted maps, no lookups.
inline void DiffInstances(const Service& base, const Service& now, std::vector<InstancePtr>* changed,
                          std::vector<InstancePtr>* removed) {
  static const std::map<std::string, InstancePtr> kNone;
  auto b = base.instances.begin(), n = now.instances.begin();
  while (b != base.instances.end() || n != now.instances.end()) {
    const std::map<std::string, InstancePtr>* base_ids = &kNone;
    const std::map<std::string, InstancePtr>* now_ids = &kNone;
    if (n == now.instances.end() || (b != base.instances.end() && b->first < n->first)) {
      base_ids = &(b++)->second;
    } else if (b == base.instances.end() || n->first < b->first) {
      now_ids = &(n++)->second;
    } else {
      base_ids = &(b++)->second;
      now_ids = &(n++)->second;
    }
    auto bi = base_ids->begin(), ni = now_ids->begin();
    while (bi != base_ids->end() || ni != now_ids->end()) {
      if (ni == now_ids->end() || (bi != base_ids->end() && bi->first < ni->first)) {
        removed->push_back((bi++)->second);
      } else if (bi == base_ids->end() || ni->first < bi->first) {
        changed->push_back((ni++)->second);
      } else {
        if (bi->second != ni->second) changed->push_back(ni->second);
        ++bi;
        ++ni;
      }
    }
  }
}

}  // namespace kreg

#endif  // KREG_DATA_MODEL_HPP_
