#include "backend.h"

#include <algorithm>
#include <ctime>
#include <utility>

#include "format/json_format.h"
#include "kreg/validate.hpp"
#include "nodes.h"
#include "status.h"
#include "watch.h"

namespace kreg {
namespace zk {

namespace {

int64_t UnixNow() { return static_cast<int64_t>(std::time(nullptr)); }

// How often the maintenance thread looks for lapsed leases; an instance
// outlives its TTL by at most this much.
constexpr std::chrono::milliseconds kMaintainPeriod{200};

}  // namespace

Status ZkBackend::Create(const plugin::Config& config, std::unique_ptr<plugin::Backend>* out) {
  Options options;
  Status s = ParseOptions(config, &options);
  if (!s.ok()) return s;
  std::unique_ptr<Session> session;
  s = Session::Open(options, config.log, &session);
  if (!s.ok()) return s;
  out->reset(new ZkBackend(options, config.log, std::move(session)));
  return Status::OK();
}

ZkBackend::ZkBackend(const Options& options, plugin::Logger log, std::unique_ptr<Session> session)
    : options_(options),
      log_(log),
      layout_(options.root),
      session_(std::move(session)),
      cache_(new ServiceCache(session_.get(), &layout_, log, options.timeout)),
      batcher_(session_.get()),
      directories_(session_.get(), &layout_, options, log) {
  session_->Subscribe(this);
  maintainer_ = std::thread([this] { Maintain(); });
}

ZkBackend::~ZkBackend() {
  session_->Unsubscribe(this);
  {
    std::lock_guard<std::mutex> lock(maintain_mu_);
    stopping_.store(true);
  }
  maintain_cv_.notify_all();
  maintainer_.join();
  cache_.reset();
  session_.reset();
}

void ZkBackend::OnNewSession() {
  held_.MarkAllForRecreate();
  {
    std::lock_guard<std::mutex> lock(maintain_mu_);
    wake_ = true;
  }
  maintain_cv_.notify_all();
}

bool ZkBackend::Renew(std::string_view service_name, std::string_view id, std::chrono::milliseconds ttl) {
  // Reused per thread: a keepalive allocates nothing once warm.
  thread_local std::string key;
  HeldInstances::KeyInto(service_name, id, &key);
  return held_.Renew(key, ttl);
}

Status ZkBackend::Register(const Instance& instance, const RegisterOptions& options) {
  const std::string key = HeldInstances::Key(instance.service_name, instance.id);
  if (!options.refresh && held_.Renew(key, options.ttl)) return Status::OK();

  Instance stored = instance;
  stored.version = 0;
  stored.data_version = 0;
  // Times the caller leaves at 0 are filled in, as the file backend does.
  if (stored.update_time == 0) stored.update_time = UnixNow();
  if (stored.reg_time == 0) stored.reg_time = held_.RegTime(key);
  if (stored.reg_time == 0) stored.reg_time = stored.update_time;
  std::string json = format::EncodeInstance(stored);
  Status s = ValidateStoredSize("instance", instance.service_name + "/" + instance.id, json.size(),
                                kMaxStoredBytes);
  if (!s.ok()) return s;

  const std::string path = layout_.Instance(instance.service_name, instance.id);
  Deadline deadline = OpDeadline();
  s = directories_.CheckInstanceDir(instance.service_name, deadline);
  if (!s.ok()) return s;
  std::lock_guard<std::mutex> key_lock(held_.KeyLock(key));
  bool held = held_.Contains(key);
  if (held && !options.refresh) {  // another caller created it while we waited for the key
    held_.Renew(key, options.ttl);
    return Status::OK();
  }
  if (held) {
    Reply r = session_->Set(path, json, -1, deadline);
    if (r.rc == ZNONODE) {
      s = CreateOwnedEphemeral(session_.get(), path, json, deadline);
    } else if (r.rc != ZOK) {
      s = ZkStatus(r.rc, "write", path);
    }
  } else if (batcher_.CreateEphemeral(path, json, deadline) != ZOK) {
    // A node of a dead session in the way, missing parents, a lost reply:
    // the careful way sorts them out.
    s = CreateOwnedEphemeral(session_.get(), path, json, deadline);
  }
  if (!s.ok()) return s;
  HeldInstance entry;
  entry.service = instance.service_name;
  entry.id = instance.id;
  entry.json = std::move(json);
  entry.reg_time = stored.reg_time;
  entry.deadline = LeaseClock::now() + options.ttl;
  held_.Put(key, std::move(entry));
  return Status::OK();
}

Status ZkBackend::Deregister(const std::string& service_name, const std::string& id) {
  const std::string key = HeldInstances::Key(service_name, id);
  const std::string path = layout_.Instance(service_name, id);
  std::lock_guard<std::mutex> key_lock(held_.KeyLock(key));
  HeldInstance entry;
  bool held = held_.Take(key, &entry);
  int rc = session_->Delete(path, -1, OpDeadline()).rc;
  if (rc == ZOK || rc == ZNONODE) return Status::OK();
  if (held) {
    // Let the maintenance thread retry the delete as a lapsed lease.
    entry.deadline = LeaseClock::now();
    held_.Put(key, std::move(entry));
  }
  return ZkStatus(rc, "delete", path);
}

Status ZkBackend::GetService(const std::string& service_name, Service* out) {
  std::shared_ptr<const Service> snapshot;
  Status s = cache_->Get(service_name, &snapshot);
  if (s.ok()) *out = *snapshot;
  return s;
}

Status ZkBackend::GetServiceSnapshot(const std::string& service_name, std::shared_ptr<const Service>* out) {
  return cache_->Get(service_name, out);
}

Status ZkBackend::ListServices(std::vector<Service>* out) {
  Reply root = session_->GetChildren(layout_.root(), false, OpDeadline());
  if (root.rc == ZNONODE) return Status::OK();
  if (root.rc != ZOK) return ZkStatus(root.rc, "list", layout_.root());
  std::sort(root.children.begin(), root.children.end());
  std::vector<std::string> names;
  for (const std::string& name : root.children) {
    if (!layout_.Reserved(name) && ValidateName("service name", name).ok()) names.push_back(name);
  }
  const ServiceReader reader(session_.get(), &layout_, log_, /*watch=*/false);
  std::vector<std::pair<std::string, ServiceNodes>> read;
  // A listing reads the whole tree: it gets the timeout once per service.
  Status s = reader.ReadServices(names, Deadline::After(options_.timeout * std::max<size_t>(1, names.size())), &read);
  if (!s.ok()) return s;
  for (const auto& [name, nodes] : read) out->push_back(nodes.ToService(name));
  return Status::OK();
}

Status ZkBackend::SetProperty(const Property& property) {
  Property stored = property;
  stored.version = 0;
  stored.data_version = 0;
  std::string json = format::EncodeProperty(stored);
  Status s = ValidateStoredSize("property", property.service_name, json.size(), kMaxStoredBytes);
  if (!s.ok()) return s;
  const std::string path = layout_.Property(property.service_name);
  Deadline deadline = OpDeadline();
  s = directories_.CheckPropertyDir(property.service_name, deadline);
  if (!s.ok()) return s;
  // A create that loses to a concurrent creator writes over it instead.
  for (;;) {
    int rc = session_->Set(path, json, -1, deadline).rc;
    if (rc == ZOK) return Status::OK();
    if (rc != ZNONODE) return ZkStatus(rc, "write", path);
    rc = CreateWithParents(session_.get(), path, json, 0, deadline);
    if (rc == ZOK) return Status::OK();
    if (rc != ZNODEEXISTS) return ZkStatus(rc, "create", path);
  }
}

Status ZkBackend::Watch(std::shared_ptr<plugin::EventSink> sink, std::unique_ptr<plugin::WatchSource>* source) {
  return ZkWatch::Start(session_.get(), &layout_, log_, options_.timeout, std::move(sink), source);
}

void ZkBackend::Maintain() {
  std::unique_lock<std::mutex> lock(maintain_mu_);
  while (!stopping_.load()) {
    maintain_cv_.wait_for(lock, kMaintainPeriod, [this] { return wake_ || stopping_.load(); });
    if (stopping_.load()) return;
    wake_ = false;
    lock.unlock();
    ExpireLeases();
    RecreateHeld();
    lock.lock();
  }
}

void ZkBackend::ExpireLeases() {
  for (HeldInstance& entry : held_.TakeExpired(LeaseClock::now())) {
    const std::string key = HeldInstances::Key(entry.service, entry.id);
    const std::string path = layout_.Instance(entry.service, entry.id);
    std::lock_guard<std::mutex> key_lock(held_.KeyLock(key));
    if (held_.Contains(key)) continue;  // registered again meanwhile
    int rc = session_->Delete(path, -1, Deadline::After(options_.timeout, &stopping_)).rc;
    if (rc == ZOK || rc == ZNONODE) {
      log_.Debug("zookeeper: lease of " + path + " lapsed; deleted it");
      continue;
    }
    log_.Warn("zookeeper: lease of " + path + " lapsed but the delete failed (" + ZkErrorText(rc) +
              "); retrying");
    held_.Put(key, std::move(entry));
  }
}

void ZkBackend::RecreateHeld() {
  for (const std::string& key : held_.RecreateKeys()) {
    if (stopping_.load()) return;
    std::lock_guard<std::mutex> key_lock(held_.KeyLock(key));
    HeldInstance entry;
    if (!held_.GetIfRecreate(key, &entry)) continue;
    const std::string path = layout_.Instance(entry.service, entry.id);
    Deadline deadline = Deadline::After(options_.timeout, &stopping_);
    Status s = directories_.CheckInstanceDir(entry.service, deadline);
    if (s.ok()) s = CreateOwnedEphemeral(session_.get(), path, entry.json, deadline);
    if (s.ok()) {
      held_.ClearRecreate(key);
      log_.Info("zookeeper: re-created " + path + " in the new session");
    } else {
      log_.Warn("zookeeper: cannot re-create " + path + " yet: " + s.message());
    }
  }
}

}  // namespace zk
}  // namespace kreg
