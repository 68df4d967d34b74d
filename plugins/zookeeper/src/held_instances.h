// HeldInstances: the instances this process registered and still holds,
// with their leases. The keepalive path (Renew) is one hash lookup under a
// mutex and never touches ZooKeeper. The maintenance thread's calls
// (TakeExpired, TakeChecks) cost what lapsed or was flagged, not what is
// held: a scan of 100,000 entries holds that mutex for about 15 ms, and
// every keepalive would wait for it.
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
  std::string json;  // the stored record, re-created as is when the node is gone
  int64_t reg_time = 0;
  LeaseClock::time_point deadline;
  // The node must be looked at (exists, setting the watch that tells when
  // it changes again): just written, notified, or of a lost session.
  bool check = false;
  bool recreate = false;  // the node went with an expired session
  // A node we do not own (another session's, or a persistent one) holds
  // the path: ours is made the moment it goes. Until then nothing of ours
  // is there, so nothing is written or deleted at the path.
  bool waiting = false;
  // The last attempt to make the node failed (and was warned about): the
  // retries that follow every round are logged at debug until one works.
  bool failing = false;
  // Non-zero: the first create of the node is in flight (AsyncRegister's
  // token); the node may not be there yet. A deregister or a lapse that
  // takes the entry meanwhile still deletes the node: the session's
  // requests run in order, so its delete follows the create.
  uint64_t creating = 0;
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
  // Flags every entry for re-creation and a check (a new session lost
  // them all).
  void MarkAllForRecreate();
  // Flags `key` to be checked; false when it is not held.
  bool MarkCheck(const std::string& key);
  // Flags `key` to be looked at again after a failed attempt to make its
  // node; true when the attempt before had failed too.
  bool MarkFailed(const std::string& key);
  // The entries flagged to be checked, clearing the flags: a notification
  // arriving meanwhile flags the key again.
  struct Name {
    std::string key;
    std::string service;
    std::string id;
  };
  std::vector<Name> TakeChecks();
  // Copies the held entry of `key` into *out; false when not held.
  bool Get(const std::string& key, HeldInstance* out);
  // Records what a look at the node of `key` found (see HeldInstance).
  void SetState(const std::string& key, bool recreate, bool waiting);
  // Replaces the stored record of `key`, keeping its lease and state.
  void SetJson(const std::string& key, std::string json);
  // The create marked `token` made the node of `key`: flags it to be
  // checked (setting its watch). False when the entry is no longer that
  // create's (taken, or replaced by another register).
  bool FinishCreate(const std::string& key, uint64_t token);
  // The create marked `token` did not make the node: removes the entry
  // when it is still that create's (true), leaving the key to whoever
  // registers it next.
  bool DropCreate(const std::string& key, uint64_t token);

  // A mutex per key stripe: register (create/refresh), deregister, expiry
  // and re-creation of one key are serialized by it, so ZooKeeper and
  // this table agree on each key.
  std::mutex& KeyLock(const std::string& key) { return stripes_[Stripe(key)]; }
  // The stripes themselves, for work done a stripe at a time (KeyLock(key)
  // is StripeLock(Stripe(key))). Nobody holds two at once.
  static constexpr size_t kStripes = 64;
  static size_t Stripe(const std::string& key) { return std::hash<std::string>()(key) % kStripes; }
  std::mutex& StripeLock(size_t stripe) { return stripes_[stripe]; }

 private:
  struct Slot {
    HeldInstance entry;
    // When its lease comes up in due_: never after entry.deadline, so
    // TakeExpired looks only at what is due.
    LeaseClock::time_point due;
    uint64_t ticket = 0;  // of its item in due_; older items are stale
  };
  struct DueItem {
    LeaseClock::time_point at;
    uint64_t ticket;
    std::string key;
  };
  // Orders due_ as a min-heap: the soonest end at the front.
  static bool EndsLater(const DueItem& a, const DueItem& b) { return a.at > b.at; }
  // (Re)queues `slot`, of `key`, at its deadline. mu_ held.
  void QueueLocked(const std::string& key, Slot* slot);
  // Sets the check flag of `key`'s entry. mu_ held.
  void FlagLocked(const std::string& key, HeldInstance* entry);

  std::mutex mu_;
  std::unordered_map<std::string, Slot> entries_;
  // A min-heap of lease ends (std::push_heap with EndsLater). The items of
  // entries taken, replaced or renewed to an earlier end stay until they
  // come up, or until they outnumber the live ones and the heap is built
  // again from entries_.
  std::vector<DueItem> due_;
  uint64_t next_ticket_ = 0;
  // The keys flagged since the last TakeChecks: every entry whose check
  // flag is set, perhaps twice, and some since taken.
  std::vector<std::string> flagged_;
  std::array<std::mutex, kStripes> stripes_;
};

}  // namespace zk
}  // namespace kreg

#endif  // KREG_PLUGINS_ZOOKEEPER_HELD_INSTANCES_H_
