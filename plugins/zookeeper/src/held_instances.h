// HeldInstances: the instances this process registered and still holds,
// with their leases. The keepalive path (Renew) is one hash lookup under a
// mutex and never touches ZooKeeper.
#ifndef KREG_PLUGINS_ZOOKEEPER_HELD_INSTANCES_H_
#define KREG_PLUGINS_ZOOKEEPER_HELD_INSTANCES_H_

#include <array>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace kreg {
namespace zk {

using LeaseClock = std::chrono::steady_clock;

struct HeldInstance {
  std::string service;
  std::string id;
  std::string json;  // the stored record, re-created as is after session expiry
  int64_t reg_time = 0;
  LeaseClock::time_point deadline;
  bool recreate = false;  // the node must be made again (new session)
};

class HeldInstances {
 public:
  static std::string Key(std::string_view service, std::string_view id) {
    std::string key;
    KeyInto(service, id, &key);
    return key;
  }
  static void KeyInto(std::string_view service, std::string_view id, std::string* key) {
    key->assign(service);
    key->push_back('/');
    key->append(id);
  }

  // Renews the lease of `key` for `ttl` when held; false when not held.
  bool Renew(const std::string& key, std::chrono::milliseconds ttl);
  // The held entry's reg_time, or 0.
  int64_t RegTime(const std::string& key);
  bool Contains(const std::string& key);
  void Put(const std::string& key, HeldInstance entry);
  // Removes `key`; true (and *out) when it was held.
  bool Take(const std::string& key, HeldInstance* out);
  // Removes and returns every entry whose lease ended before `now`.
  std::vector<HeldInstance> TakeExpired(LeaseClock::time_point now);
  // Flags every entry for re-creation (a new session lost them all).
  void MarkAllForRecreate();
  // Keys of the entries flagged for re-creation.
  std::vector<std::string> RecreateKeys();
  // If `key` is held and flagged, copies it into *out.
  bool GetIfRecreate(const std::string& key, HeldInstance* out);
  void ClearRecreate(const std::string& key);

  // A mutex per key stripe: register (create/refresh), deregister, expiry
  // and re-creation of one key are serialized by it, so ZooKeeper and
  // this table agree on each key.
  std::mutex& KeyLock(const std::string& key) {
    return stripes_[std::hash<std::string>()(key) % stripes_.size()];
  }

 private:
  std::mutex mu_;
  std::unordered_map<std::string, HeldInstance> entries_;
  std::array<std::mutex, 64> stripes_;
};

}  // namespace zk
}  // namespace kreg

#endif  // KREG_PLUGINS_ZOOKEEPER_HELD_INSTANCES_H_
