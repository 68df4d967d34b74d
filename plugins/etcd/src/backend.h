// EtcdBackend: the kreg backend over etcd v3 (api/CONTRACT.md,
// plugins/etcd/README.md).
//
// Liveness: the backend holds one etcd lease, its "session" (TTL =
// session_timeout), granted at create and renewed by the maintenance
// thread every third of its TTL; every instance it registers is put with
// that lease, so a dead keeper's instances go when the lease expires, all
// at one revision. Per-instance TTLs are kept here (a keepalive writes
// nothing), and the maintenance thread deletes an instance whose TTL
// lapsed. When the lease is lost (it expired while etcd was out of reach)
// a new one is granted and every held instance put again; a held key that
// someone else deletes is put again at once (the DeleteWatch tells).
//
// A key that another registrant holds (another lease, or none) is never
// overwritten or deleted by a register: the instance is held as waiting,
// stays listed with that record, and this backend's record is put the
// moment that key goes.
//
// Reads and watches are served by the Mirror (mirror.h), with
// read-your-writes: a read waits until the mirror has seen this backend's
// last write.
//
// Threads: callers' threads run the operations; the maintenance thread
// renews the lease, ends lapsed instances and puts back deleted ones; the
// mirror's watch thread applies changes and feeds the watches; the
// DeleteWatch's thread queues deleted held keys for the maintenance thread.
#ifndef KREG_PLUGINS_ETCD_BACKEND_H_
#define KREG_PLUGINS_ETCD_BACKEND_H_

#include <array>
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>

#include "http_client.h"
#include "kreg/plugin.hpp"
#include "kv.h"
#include "delete_watch.h"
#include "layout.h"
#include "mirror.h"
#include "options.h"

namespace kreg {
namespace etcd {

class EtcdBackend : public plugin::Backend {
 public:
  static Status Create(const plugin::Config& config, std::unique_ptr<plugin::Backend>* out);
  ~EtcdBackend() override;

  // The keepalive path: a lookup in the held table, no request to etcd.
  bool Renew(std::string_view service_name, std::string_view id, std::chrono::milliseconds ttl) override;
  Status Register(const Instance& instance, const RegisterOptions& options) override;
  Status Deregister(const std::string& service_name, const std::string& id) override;
  Status GetService(const std::string& service_name, Service* out) override;
  Status GetServiceSnapshot(const std::string& service_name, std::shared_ptr<const Service>* out) override;
  Status ListServices(std::vector<Service>* out) override;
  Status SetProperty(const Property& property) override;
  Status Watch(std::shared_ptr<plugin::EventSink> sink, std::unique_ptr<plugin::WatchSource>* source) override;

 private:
  struct Held {
    std::string service;
    std::string id;
    std::string stored;  // the record, put again as is when the key goes
    int64_t reg_time = 0;
    Clock::time_point deadline;  // the instance's own TTL
    bool waiting = false;        // another registrant's key holds the place
  };

  EtcdBackend(const Options& options, plugin::Logger log);

  Clock::time_point OpDeadline() const { return Clock::now() + options_.timeout; }
  int64_t lease() const { return lease_.load(); }
  void NoteWrite(int64_t revision);
  std::mutex& KeyLock(const std::string& key) { return stripes_[std::hash<std::string>()(key) % stripes_.size()]; }
  // The first write of an instance (or a rewrite of one that is not ours
  // any more); the caller holds KeyLock(key).
  Status Create(const std::string& key, const Instance& instance, const RegisterOptions& options);
  // Puts the held record of `key` again when its key is missing.
  void Restore(const std::string& key);
  // Grants a new lease after `lost` expired, and queues every held instance
  // to be put again with it.
  void ReplaceLease(int64_t lost);
  void QueueRestore(const std::string& key);
  void QueueRestoreAll();
  void QueueAllHeldLocked();  // REQUIRES: maintain_mu_ held
  // Starts the DeleteWatch on the first held instance, from revision `from`
  // (0: from now).
  void WatchDeletes(int64_t from);
  // Deletes each key not held again (if still on this backend's lease),
  // on the maintenance thread: a lapsed TTL, or a deregister whose delete
  // failed, must not leave the key living on with the lease. A failed
  // delete is queued (QueueEnd) and tried again a second later.
  void End(std::set<std::string> keys);
  void QueueEnd(const std::string& key);
  // Renews the lease when its third of a TTL is up: called between the
  // maintenance thread's requests, so a long round cannot starve it.
  void KeepAliveIfDue();
  void Maintain();
  void KeepLeaseAlive();
  void ExpireLapsed();

  const Options options_;
  const plugin::Logger log_;
  const Layout layout_;
  HttpClient http_;
  Kv kv_;
  std::atomic<int64_t> lease_{0};
  std::atomic<int64_t> last_write_{0};  // the revision of this backend's newest write

  std::mutex held_mu_;
  std::unordered_map<std::string, Held> held_;  // by key
  std::array<std::mutex, 64> stripes_;          // serializes the writes of one key

  std::mutex maintain_mu_;
  std::condition_variable maintain_cv_;
  std::set<std::string> to_restore_;
  std::set<std::string> retry_restore_;  // failed; tried again a second later
  std::set<std::string> to_end_;         // deletes to make (or retry)
  Clock::time_point next_keepalive_;     // the maintenance thread's own
  bool stopping_ = false;
  std::thread maintainer_;

  std::mutex delete_watch_mu_;
  std::unique_ptr<DeleteWatch> delete_watch_;  // from the first held instance on
  std::unique_ptr<Mirror> mirror_;
};

}  // namespace etcd
}  // namespace kreg

#endif  // KREG_PLUGINS_ETCD_BACKEND_H_
