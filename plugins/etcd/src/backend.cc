#include "backend.h"

#include "kreg/data_model.hpp"
#include "kreg/json_format.hpp"

namespace kreg {
namespace etcd {

namespace {

using std::chrono::milliseconds;

std::string Name(const std::string& service, const std::string& id) { return service + "/" + id; }

class MirrorWatch : public plugin::WatchSource {
 public:
  MirrorWatch(Mirror* mirror, uint64_t id) : mirror_(mirror), id_(id) {}
  ~MirrorWatch() override { mirror_->Unsubscribe(id_); }

 private:
  Mirror* mirror_;
  uint64_t id_;
};

}  // namespace

Status EtcdBackend::Create(const plugin::Config& config, std::unique_ptr<plugin::Backend>* out) {
  Options options;
  Status s = ParseOptions(config, &options);
  if (!s.ok()) return s;
  std::unique_ptr<EtcdBackend> backend(new EtcdBackend(options, config.log));
  const int64_t ttl_seconds = std::chrono::duration_cast<std::chrono::seconds>(options.session_timeout).count();
  int64_t lease = 0;
  s = backend->kv_.LeaseGrant(ttl_seconds, &lease, backend->OpDeadline());
  if (!s.ok()) return s;
  backend->lease_.store(lease);
  backend->maintainer_ = std::thread([b = backend.get()] { b->Maintain(); });
  backend->log_.Debug("etcd: connected to " + backend->http_.EndpointList() + ", lease " + std::to_string(lease));
  *out = std::move(backend);
  return Status::OK();
}

EtcdBackend::EtcdBackend(const Options& options, plugin::Logger log)
    : options_(options), log_(std::move(log)), layout_(options_.root), http_(options_, log_), kv_(&http_) {
  mirror_ = std::make_unique<Mirror>(&http_, &kv_, layout_, options_, log_);
}

EtcdBackend::~EtcdBackend() {
  {
    std::lock_guard<std::mutex> lock(maintain_mu_);
    stopping_ = true;
  }
  maintain_cv_.notify_all();
  if (maintainer_.joinable()) maintainer_.join();
  {
    std::lock_guard<std::mutex> lock(delete_watch_mu_);
    delete_watch_.reset();
  }
  mirror_.reset();
  // Like a ZooKeeper session closing: the instances of this backend go at
  // once, in one revision, rather than when the lease would expire.
  if (lease() != 0) {
    Status s = kv_.LeaseRevoke(lease(), OpDeadline());
    if (!s.ok()) log_.Warn(s.message() + "; its instances go when the lease expires");
  }
}

void EtcdBackend::NoteWrite(int64_t revision) {
  int64_t seen = last_write_.load();
  while (revision > seen && !last_write_.compare_exchange_weak(seen, revision)) {
  }
}

bool EtcdBackend::Renew(std::string_view service_name, std::string_view id, milliseconds ttl) {
  const std::string key = layout_.Instance(service_name, id);
  std::lock_guard<std::mutex> lock(held_mu_);
  auto it = held_.find(key);
  if (it == held_.end()) return false;
  it->second.deadline = Clock::now() + ttl;
  return true;
}

Status EtcdBackend::Register(const Instance& instance, const RegisterOptions& options) {
  const std::string key = layout_.Instance(instance.service_name, instance.id);
  std::lock_guard<std::mutex> key_lock(KeyLock(key));
  Held held;
  bool holding;
  {
    std::lock_guard<std::mutex> lock(held_mu_);
    auto it = held_.find(key);
    holding = it != held_.end();
    if (holding) {
      it->second.deadline = Clock::now() + options.ttl;
      held = it->second;
    }
  }
  if (holding && !options.refresh) return Status::OK();
  if (!holding || held.waiting) return Create(key, instance, options);

  Instance record = instance;
  FillTimes(UnixSeconds(), held.reg_time, &record);
  std::string stored;
  Status s = format::EncodeStored(record, &stored);
  if (!s.ok()) return s;
  TxnResult result;
  s = kv_.PutIfLease("etcd: refreshing " + Name(instance.service_name, instance.id), key, stored, lease(), &result,
                     OpDeadline());
  if (!s.ok()) return s;
  if (!result.succeeded) return Create(key, instance, options);  // gone, or another's meanwhile
  NoteWrite(result.revision);
  std::lock_guard<std::mutex> lock(held_mu_);
  auto it = held_.find(key);
  if (it != held_.end()) it->second.stored = std::move(stored);
  return Status::OK();
}

Status EtcdBackend::Create(const std::string& key, const Instance& instance, const RegisterOptions& options) {
  Instance record = instance;
  FillTimes(UnixSeconds(), 0, &record);
  std::string stored;
  Status s = format::EncodeStored(record, &stored);
  if (!s.ok()) return s;
  const std::string what = "etcd: registering " + Name(instance.service_name, instance.id);
  TxnResult result;
  int code = 0;
  for (int attempt = 0;; ++attempt) {
    const int64_t used = lease();
    s = kv_.PutIfAbsent(what, key, stored, used, &result, OpDeadline(), &code);
    if (s.ok() || code != kGrpcNotFound) break;
    if (attempt > 0) {
      return Status::Unavailable(what + ": the backend's lease was lost and no new one could be granted (" +
                                 s.message() + ")");
    }
    ReplaceLease(used);  // "requested lease not found": it expired while etcd was out of reach
  }
  if (!s.ok()) return s;
  Held held{instance.service_name, instance.id, stored, record.reg_time, Clock::now() + options.ttl, false};
  if (result.succeeded) {
    NoteWrite(result.revision);
  } else if (result.found && result.existing.lease == lease()) {
    // Ours already (a retried request that had landed): held as it is.
    NoteWrite(result.existing.mod_revision);
  } else {
    held.waiting = true;
    NoteWrite(result.existing.mod_revision);  // reads show the record that is there
    log_.Info("etcd: " + Name(instance.service_name, instance.id) + " is stored by another registrant (" +
              (result.existing.lease == 0 ? std::string("a key without a lease")
                                          : "lease " + std::to_string(result.existing.lease)) +
              "); it is left as it is, and this backend's record is put when that key goes");
  }
  {
    std::lock_guard<std::mutex> lock(held_mu_);
    held_[key] = std::move(held);
  }
  WatchDeletes(result.succeeded ? result.revision + 1 : 0);
  return Status::OK();
}

Status EtcdBackend::Deregister(const std::string& service_name, const std::string& id) {
  const std::string key = layout_.Instance(service_name, id);
  std::lock_guard<std::mutex> key_lock(KeyLock(key));
  bool held = false;
  bool waiting = false;
  {
    std::lock_guard<std::mutex> lock(held_mu_);
    auto it = held_.find(key);
    if (it != held_.end()) {
      held = true;
      waiting = it->second.waiting;
      held_.erase(it);
    }
  }
  if (waiting) return Status::OK();  // the key is another registrant's: left alone
  const std::string what = "etcd: deregistering " + Name(service_name, id);
  int64_t revision = 0;
  // What this backend holds goes only if still on its lease; anything else
  // is an admin's deregister of whoever's instance.
  Status s = held ? kv_.DeleteIfLease(what, key, lease(), &revision, OpDeadline())
                  : kv_.Delete(what, key, &revision, OpDeadline());
  if (s.ok()) {
    NoteWrite(revision);
  } else if (held) {
    QueueEnd(key);  // it must not live on with the lease
  }
  return s;
}

Status EtcdBackend::GetService(const std::string& service_name, Service* out) {
  std::shared_ptr<const Service> snapshot;
  Status s = GetServiceSnapshot(service_name, &snapshot);
  if (s.ok()) *out = *snapshot;
  return s;
}

Status EtcdBackend::GetServiceSnapshot(const std::string& service_name, std::shared_ptr<const Service>* out) {
  Status s = mirror_->WaitFor(last_write_.load(), OpDeadline());
  if (!s.ok()) return s;
  return mirror_->GetService(service_name, out);
}

Status EtcdBackend::ListServices(std::vector<Service>* out) {
  Status s = mirror_->WaitFor(last_write_.load(), OpDeadline());
  if (!s.ok()) return s;
  mirror_->ListServices(out);
  return Status::OK();
}

Status EtcdBackend::SetProperty(const Property& property) {
  std::string stored;
  Status s = format::EncodeStored(property, &stored);
  if (!s.ok()) return s;
  int64_t revision = 0;
  s = kv_.Put("etcd: setting the property of " + property.service_name, layout_.Property(property.service_name), stored,
              &revision, OpDeadline());
  if (s.ok()) NoteWrite(revision);
  return s;
}

Status EtcdBackend::Watch(std::shared_ptr<plugin::EventSink> sink, std::unique_ptr<plugin::WatchSource>* source) {
  Status s = mirror_->WaitFor(last_write_.load(), OpDeadline());
  if (!s.ok()) return s;
  *source = std::make_unique<MirrorWatch>(mirror_.get(), mirror_->Subscribe(std::move(sink)));
  return Status::OK();
}

void EtcdBackend::WatchDeletes(int64_t from) {
  std::lock_guard<std::mutex> lock(delete_watch_mu_);
  if (delete_watch_ != nullptr) return;
  delete_watch_ = std::make_unique<DeleteWatch>(
      &http_, layout_, options_, log_, from, [this](const std::string& key) { QueueRestore(key); },
      [this] { QueueRestoreAll(); });
}

void EtcdBackend::QueueRestoreAll() {
  std::lock_guard<std::mutex> lock(maintain_mu_);
  QueueAllHeldLocked();
}

void EtcdBackend::QueueAllHeldLocked() {
  {
    std::lock_guard<std::mutex> held_lock(held_mu_);
    for (const auto& [key, held] : held_) to_restore_.insert(key);
  }
  maintain_cv_.notify_all();
}

void EtcdBackend::QueueRestore(const std::string& key) {
  {
    std::lock_guard<std::mutex> lock(held_mu_);
    if (!held_.count(key)) return;
  }
  std::lock_guard<std::mutex> lock(maintain_mu_);
  to_restore_.insert(key);
  maintain_cv_.notify_all();
}

void EtcdBackend::Restore(const std::string& key) {
  std::lock_guard<std::mutex> key_lock(KeyLock(key));
  Held held;
  {
    std::lock_guard<std::mutex> lock(held_mu_);
    auto it = held_.find(key);
    if (it == held_.end()) return;  // deregistered or lapsed meanwhile
    held = it->second;
  }
  TxnResult result;
  int code = 0;
  const int64_t used = lease();
  Status s = kv_.PutIfAbsent("etcd: putting back " + Name(held.service, held.id), key, held.stored, used, &result,
                             OpDeadline(), &code);
  if (!s.ok()) {
    if (code == kGrpcNotFound) {
      ReplaceLease(used);
    } else {
      log_.Warn(s.message() + "; trying again in a second");
      std::lock_guard<std::mutex> lock(maintain_mu_);
      retry_restore_.insert(key);
    }
    return;
  }
  if (result.succeeded) NoteWrite(result.revision);
  const bool waiting = !result.succeeded && !(result.found && result.existing.lease == used);
  std::lock_guard<std::mutex> lock(held_mu_);
  auto it = held_.find(key);
  if (it != held_.end()) it->second.waiting = waiting;
}

void EtcdBackend::ReplaceLease(int64_t lost) {
  std::lock_guard<std::mutex> lock(maintain_mu_);  // one replacement at a time
  if (lease() != lost) return;                      // another thread replaced it
  int64_t lease = 0;
  const int64_t ttl_seconds = std::chrono::duration_cast<std::chrono::seconds>(options_.session_timeout).count();
  Status s = kv_.LeaseGrant(ttl_seconds, &lease, OpDeadline());
  if (!s.ok()) {
    log_.Warn(s.message() + "; the held instances are put again once a lease is granted");
    return;
  }
  lease_.store(lease);
  log_.Warn("etcd: lease " + std::to_string(lost) + " expired (etcd was out of reach for longer than " +
            std::to_string(options_.session_timeout.count()) + " ms); putting every held instance again with lease " +
            std::to_string(lease));
  QueueAllHeldLocked();
}

void EtcdBackend::KeepLeaseAlive() {
  const int64_t used = lease();
  int64_t ttl = 0;
  Status s = kv_.LeaseKeepAlive(used, &ttl, OpDeadline());
  if (!s.ok()) {
    log_.Warn(s.message() + "; trying again");
    return;
  }
  if (ttl == 0) ReplaceLease(used);
}

void EtcdBackend::ExpireLapsed() {
  std::vector<std::string> lapsed;
  {
    std::lock_guard<std::mutex> lock(held_mu_);
    const Clock::time_point now = Clock::now();
    for (const auto& [key, held] : held_) {
      if (held.deadline <= now) lapsed.push_back(key);
    }
  }
  std::set<std::string> ending;
  for (const std::string& key : lapsed) {
    std::lock_guard<std::mutex> key_lock(KeyLock(key));
    std::lock_guard<std::mutex> lock(held_mu_);
    auto it = held_.find(key);
    if (it == held_.end() || it->second.deadline > Clock::now()) continue;  // renewed meanwhile
    if (!it->second.waiting) ending.insert(key);  // a waiting one's key is another's
    held_.erase(it);
  }
  End(std::move(ending));
}

void EtcdBackend::QueueEnd(const std::string& key) {
  std::lock_guard<std::mutex> lock(maintain_mu_);
  to_end_.insert(key);
}

void EtcdBackend::End(std::set<std::string> keys) {
  Status failed;
  size_t failures = 0;
  for (const std::string& key : keys) {
    std::lock_guard<std::mutex> key_lock(KeyLock(key));
    {
      std::lock_guard<std::mutex> lock(held_mu_);
      if (held_.count(key)) continue;  // registered again meanwhile
    }
    int64_t revision = 0;
    Status s = kv_.DeleteIfLease("etcd: ending " + key, key, lease(), &revision, OpDeadline());
    if (s.ok()) {
      NoteWrite(revision);
    } else {
      if (failures++ == 0) failed = s;
      QueueEnd(key);
    }
    KeepAliveIfDue();
  }
  if (failures > 0) {
    log_.Warn(failed.message() + "; " + std::to_string(failures) + " instance(s) to end, tried again in a second");
  }
}

void EtcdBackend::KeepAliveIfDue() {
  if (Clock::now() < next_keepalive_) return;
  KeepLeaseAlive();
  next_keepalive_ = Clock::now() + options_.session_timeout / 3;
}

void EtcdBackend::Maintain() {
  next_keepalive_ = Clock::now() + options_.session_timeout / 3;
  Clock::time_point retry_at = Clock::time_point::max();
  std::unique_lock<std::mutex> lock(maintain_mu_);
  while (!stopping_) {
    Clock::time_point wake = std::min(next_keepalive_, retry_at);
    {
      std::lock_guard<std::mutex> held_lock(held_mu_);
      for (const auto& [key, held] : held_) wake = std::min(wake, held.deadline);
    }
    maintain_cv_.wait_until(lock, wake, [this] { return stopping_ || !to_restore_.empty(); });
    if (stopping_) break;
    // Failed attempts wait a second before the next, rather than spin.
    const bool retry = Clock::now() >= retry_at;
    if (retry) {
      to_restore_.insert(retry_restore_.begin(), retry_restore_.end());
      retry_restore_.clear();
    }
    std::set<std::string> restore;
    restore.swap(to_restore_);
    std::set<std::string> end;
    if (retry) end.swap(to_end_);
    lock.unlock();
    KeepAliveIfDue();
    ExpireLapsed();
    End(std::move(end));
    for (const std::string& key : restore) {
      Restore(key);
      KeepAliveIfDue();
    }
    lock.lock();
    if (retry || retry_at == Clock::time_point::max()) {
      retry_at = retry_restore_.empty() && to_end_.empty() ? Clock::time_point::max()
                                                           : Clock::now() + std::chrono::seconds(1);
    }
  }
}

}  // namespace etcd
}  // namespace kreg
