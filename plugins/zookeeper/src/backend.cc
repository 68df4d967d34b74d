#include "backend.h"

#include <algorithm>
#include <utility>

#include "kreg/data_model.hpp"
#include "kreg/json_format.hpp"
#include "kreg/validate.hpp"
#include "nodes.h"
#include "service_lister.h"
#include "status.h"
#include "watch.h"

namespace kreg {
namespace zk {

namespace {

// How often the maintenance thread looks for lapsed leases; an instance
// outlives its TTL by at most this much.
constexpr std::chrono::milliseconds kMaintainPeriod{200};

Status Closed(const std::string& path) {
  return Status::Unavailable("zookeeper: the backend was closed before the register of " + path + " completed");
}

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
      mirror_(NodeMirror::Start(session_.get(), &layout_, log, options.timeout)),
      cache_(new ServiceCache(mirror_.get(), &layout_)),
      batcher_(session_.get()),
      directories_(session_.get(), &layout_, options, log),
      register_worker_([this](const std::shared_ptr<AsyncRegister>& reg) { ExpireRegister(reg); }) {
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
  // The registers handed to the worker end now (UNAVAILABLE); the creates
  // still in flight are answered while the session closes (ZCLOSING), or
  // not at all: those end after it. Nothing calls back after this returns.
  register_worker_.Close();
  cache_.reset();
  mirror_->Stop();
  mirror_.reset();
  session_.reset();
  for (const auto& reg : register_worker_.TakeAwaited()) {
    if (reg->TakeExpiry()) FinishRegister(reg, Closed(reg->path));
  }
}

void ZkBackend::OnNodeEvent(int, const std::string& path) {
  // The client's event thread: only flag the node; the maintenance thread
  // looks at it (and sets the watch again).
  Layout::Ref ref = layout_.Parse(path);
  if (ref.kind != Layout::Kind::kInstance) return;
  if (held_.MarkCheck(HeldInstances::Key(ref.service, ref.id))) WakeMaintainer();
}

void ZkBackend::OnNewSession() {
  held_.MarkAllForRecreate();
  WakeMaintainer();
}

void ZkBackend::WakeMaintainer() {
  {
    std::lock_guard<std::mutex> lock(maintain_mu_);
    wake_ = true;
  }
  maintain_cv_.notify_all();
}

void ZkBackend::LogOtherOwner(const std::string& path, int64_t owner) {
  if (owner == 0) {
    log_.Debug("zookeeper: " + path + " is a persistent node, not an instance of ours: left as it is; the " +
               "instance is held and its node made when that one is deleted");
  } else {
    log_.Debug("zookeeper: " + path + " belongs to session " + Hex(owner) +
               ", not to this process: left as it is; the instance is held and its node made when that one goes");
  }
}

bool ZkBackend::Renew(std::string_view service_name, std::string_view id, std::chrono::milliseconds ttl) {
  // Reused per thread: a keepalive allocates nothing once warm.
  thread_local std::string key;
  HeldInstances::KeyInto(service_name, id, &key);
  return held_.Renew(key, ttl);
}

Status ZkBackend::Register(const Instance& instance, const RegisterOptions& options) {
  return RegisterBy(instance, options, OpDeadline());
}

Status ZkBackend::RegisterBy(const Instance& instance, const RegisterOptions& options, const Deadline& deadline) {
  const std::string key = HeldInstances::Key(instance.service_name, instance.id);
  if (!options.refresh && held_.Renew(key, options.ttl)) return Status::OK();

  Instance stored = instance;
  FillTimes(UnixSeconds(), held_.RegTime(key), &stored);
  std::string json;
  Status s = format::EncodeStored(stored, &json);
  if (!s.ok()) return s;

  const std::string path = layout_.Instance(instance.service_name, instance.id);
  s = directories_.CheckInstanceDir(instance.service_name, deadline);
  if (!s.ok()) return s;
  std::lock_guard<std::mutex> key_lock(held_.KeyLock(key));
  HeldInstance current;
  bool held = held_.Get(key, &current);
  if (held && !options.refresh) {  // another caller created it while we waited for the key
    held_.Renew(key, options.ttl);
    return Status::OK();
  }
  if (held && current.waiting) {
    // The node there is not ours to write: the refreshed record is the one
    // created when it goes.
    held_.SetJson(key, std::move(json));
    held_.Renew(key, options.ttl);
    return Status::OK();
  }
  Ownership ownership = Ownership::kCreated;
  int64_t other_owner = 0;
  if (held) {
    Reply r = Set(session_.get(), path, json, -1, deadline);
    if (r.rc == ZNONODE) {
      s = CreateOwnedEphemeral(session_.get(), path, json, deadline, &ownership, &other_owner);
    } else if (r.rc != ZOK) {
      s = ZkStatus(r.rc, "write", path);
    }
  } else if (batcher_.CreateEphemeral(path, json, deadline) != ZOK) {
    // A node already there, missing parents, a lost reply: the careful way
    // sorts them out.
    s = CreateOwnedEphemeral(session_.get(), path, json, deadline, &ownership, &other_owner);
  }
  if (!s.ok()) return s;
  if (ownership == Ownership::kOther) LogOtherOwner(path, other_owner);
  HeldInstance entry;
  entry.service = instance.service_name;
  entry.id = instance.id;
  entry.json = std::move(json);
  entry.reg_time = stored.reg_time;
  entry.deadline = LeaseClock::now() + options.ttl;
  entry.check = true;  // the maintenance thread sets the watch on it
  entry.waiting = ownership == Ownership::kOther;
  held_.Put(key, std::move(entry));
  return Status::OK();
}

namespace {

// True while a register's `done` runs on the client's completion thread:
// a RegisterAsync made from inside it must not wait there.
thread_local bool in_register_completion = false;

}  // namespace

void ZkBackend::RegisterAsync(const Instance& instance, const RegisterOptions& options, RegisterDone done) {
  std::string key = HeldInstances::Key(instance.service_name, instance.id);
  if (!options.refresh && held_.Renew(key, options.ttl)) return done(Status::OK());
  auto reg = std::shared_ptr<AsyncRegister>(new AsyncRegister);  // not make_shared: the worker holds it weakly
  reg->instance = instance;
  reg->options = options;
  reg->done = std::move(done);
  reg->deadline = Deadline::After(options_.timeout, &stopping_);
  reg->key = std::move(key);
  reg->path = layout_.Instance(instance.service_name, instance.id);
  if (stopping_.load()) return FinishRegister(reg, Closed(reg->path));
  if (!in_register_completion) return StartRegister(reg);
  // The directory check and the key lock below may wait for a reply.
  if (!register_worker_.Post([this, reg] { StartRegister(reg); })) FinishRegister(reg, Closed(reg->path));
}

void ZkBackend::StartRegister(const std::shared_ptr<AsyncRegister>& reg) {
  const Instance& instance = reg->instance;
  Instance stored = instance;
  FillTimes(UnixSeconds(), held_.RegTime(reg->key), &stored);
  std::string json;
  Status s = format::EncodeStored(stored, &json);
  if (s.ok()) s = directories_.CheckInstanceDir(instance.service_name, reg->deadline);
  if (!s.ok()) return FinishRegister(reg, s);
  {
    std::lock_guard<std::mutex> key_lock(held_.KeyLock(reg->key));
    // Held already (a concurrent register, a refresh): Register's business.
    if (!held_.Contains(reg->key)) {
      reg->token = next_create_token_.fetch_add(1);
      HeldInstance entry;
      entry.service = instance.service_name;
      entry.id = instance.id;
      entry.json = json;
      entry.reg_time = stored.reg_time;
      entry.deadline = LeaseClock::now() + reg->options.ttl;
      entry.creating = reg->token;
      // Held before the create is issued, under the key lock: a deregister
      // or a lapse from now on sees it, and its delete follows the create.
      held_.Put(reg->key, std::move(entry));
      register_worker_.Await(reg);
      int rc = CreateAsync(session_.get(), reg->path, json, ZOO_EPHEMERAL,
                           [this, reg](Reply&& reply) { OnCreated(reg, reply.rc); });
      if (rc == ZOK) return;
      reg->TakeReply();  // refused at once: no reply will come
      held_.DropCreate(reg->key, reg->token);
    }
  }
  if (!register_worker_.Post([this, reg] { FinishRegister(reg, RegisterBy(reg->instance, reg->options, reg->deadline)); })) {
    FinishRegister(reg, Closed(reg->path));
  }
}

void ZkBackend::OnCreated(const std::shared_ptr<AsyncRegister>& reg, int rc) {
  if (!reg->TakeReply()) return;  // too late: the worker reported the timeout
  if (rc == ZOK) {
    // The next maintenance round sets its watch, as after Register.
    held_.FinishCreate(reg->key, reg->token);
    in_register_completion = true;
    FinishRegister(reg, Status::OK());
    in_register_completion = false;
    return;
  }
  // A node already there, missing parents, a lost connection: sorting
  // them out takes blocking requests.
  if (!register_worker_.Post([this, reg] { RegisterOnWorker(reg); })) {
    in_register_completion = true;
    FinishRegister(reg, Closed(reg->path));
    in_register_completion = false;
  }
}

void ZkBackend::RegisterOnWorker(const std::shared_ptr<AsyncRegister>& reg) {
  if (stopping_.load()) return FinishRegister(reg, Closed(reg->path));
  // The entry is gone when a deregister or a lapse took it meanwhile (the
  // instance was registered, then removed), or another register replaced
  // it (and made the node).
  if (!held_.DropCreate(reg->key, reg->token)) return FinishRegister(reg, Status::OK());
  FinishRegister(reg, RegisterBy(reg->instance, reg->options, reg->deadline));
}

void ZkBackend::ExpireRegister(const std::shared_ptr<AsyncRegister>& reg) {
  if (!reg->TakeExpiry()) return;  // the reply came first
  held_.DropCreate(reg->key, reg->token);
  FinishRegister(reg, ZkStatus(kDeadlineExceeded, "create", reg->path));
}

void ZkBackend::FinishRegister(const std::shared_ptr<AsyncRegister>& reg, const Status& status) {
  plugin::Backend::RegisterDone done = std::move(reg->done);
  // Closing cancels the deadlines of the registers still running: what
  // they then report is the closing, not a slow server.
  const bool cut_short = status.code() == KREG_TIMEOUT || status.code() == KREG_UNAVAILABLE;
  done(cut_short && stopping_.load() ? Closed(reg->path) : status);
}

Status ZkBackend::Deregister(const std::string& service_name, const std::string& id) {
  const std::string key = HeldInstances::Key(service_name, id);
  const std::string path = layout_.Instance(service_name, id);
  std::lock_guard<std::mutex> key_lock(held_.KeyLock(key));
  HeldInstance entry;
  bool held = held_.Take(key, &entry);
  if (held && entry.waiting) return Status::OK();  // the node there is not ours
  int rc = Delete(session_.get(), path, -1, OpDeadline()).rc;
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

std::shared_ptr<const Service> ZkBackend::KeptSnapshot(const std::string& service_name, int64_t version) {
  return cache_->Kept(service_name, version);
}

Status ZkBackend::ListServices(std::vector<Service>* out) {
  std::vector<Service> listed;
  Status s = List([&](Service&& service) { listed.push_back(std::move(service)); });
  if (!s.ok()) return s;
  out->insert(out->end(), std::make_move_iterator(listed.begin()), std::make_move_iterator(listed.end()));
  return Status::OK();
}

Status ZkBackend::StreamServices(const ServiceFn& emit) {
  return List([&](Service&& service) { emit(service); });
}

Status ZkBackend::List(const ServiceLister::ServiceFn& emit) {
  Reply root = GetChildren(session_.get(), layout_.root(), false, OpDeadline());
  if (root.rc == ZNONODE) return Status::OK();
  if (root.rc != ZOK) return ZkStatus(root.rc, "list", layout_.root());
  std::sort(root.children.begin(), root.children.end());
  std::vector<std::string> names;
  for (const std::string& name : root.children) {
    if (!layout_.Reserved(name) && ValidateName("service name", name).ok()) names.push_back(name);
  }
  const ServiceLister lister(session_.get(), &layout_, log_);
  // A listing reads the whole tree: it gets the timeout once per service.
  return lister.List(names, Deadline::After(options_.timeout * std::max<size_t>(1, names.size())), emit);
}

Status ZkBackend::SetProperty(const Property& property) {
  std::string json;
  Status s = format::EncodeStored(property, &json);
  if (!s.ok()) return s;
  const std::string path = layout_.Property(property.service_name);
  Deadline deadline = OpDeadline();
  s = directories_.CheckPropertyDir(property.service_name, deadline);
  if (!s.ok()) return s;
  // A create that loses to a concurrent creator writes over it instead.
  for (;;) {
    int rc = Set(session_.get(), path, json, -1, deadline).rc;
    if (rc == ZOK) return Status::OK();
    if (rc != ZNONODE) return ZkStatus(rc, "write", path);
    rc = CreateWithParents(session_.get(), path, json, 0, deadline);
    if (rc == ZOK) return Status::OK();
    if (rc != ZNODEEXISTS) return ZkStatus(rc, "create", path);
  }
}

Status ZkBackend::Watch(std::shared_ptr<plugin::EventSink> sink, std::unique_ptr<plugin::WatchSource>* source) {
  return ZkWatch::Start(mirror_, std::move(sink), source);
}

void ZkBackend::Maintain() {
  std::unique_lock<std::mutex> lock(maintain_mu_);
  while (!stopping_.load()) {
    maintain_cv_.wait_for(lock, kMaintainPeriod, [this] { return wake_ || stopping_.load(); });
    if (stopping_.load()) return;
    wake_ = false;
    lock.unlock();
    ExpireLeases();
    CheckHeld();
    lock.lock();
  }
}

void ZkBackend::ExpireLeases() {
  std::vector<HeldInstance> lapsed = held_.TakeExpired(LeaseClock::now());
  if (lapsed.empty()) return;
  // One pipelined round of deletes per key stripe: holding the stripe's
  // lock meanwhile keeps a register of one of its keys from creating the
  // node a delete of the round then removes.
  std::vector<std::vector<HeldInstance>> rounds(HeldInstances::kStripes);
  for (HeldInstance& entry : lapsed) {
    rounds[HeldInstances::Stripe(HeldInstances::Key(entry.service, entry.id))].push_back(std::move(entry));
  }
  const Deadline deadline = Deadline::After(options_.timeout, &stopping_);
  size_t deleted = 0;
  size_t failed = 0;
  std::string first_failure;
  for (size_t stripe = 0; stripe < rounds.size(); ++stripe) {
    std::vector<HeldInstance>& round = rounds[stripe];
    if (round.empty()) continue;
    std::lock_guard<std::mutex> stripe_lock(held_.StripeLock(stripe));
    std::vector<HeldInstance*> deleting;
    std::vector<std::string> paths;
    for (HeldInstance& entry : round) {
      if (held_.Contains(HeldInstances::Key(entry.service, entry.id))) continue;  // registered again meanwhile
      if (entry.waiting) continue;  // the node there is not ours
      deleting.push_back(&entry);
      paths.push_back(layout_.Instance(entry.service, entry.id));
    }
    // Once the deadline has passed nothing more is sent: the rest waits
    // for the next sweep.
    std::vector<Reply> replies(paths.size());
    if (deadline.passed()) {
      for (Reply& r : replies) r.rc = kDeadlineExceeded;
    } else {
      replies = DeleteMany(session_.get(), paths, deadline);
    }
    for (size_t i = 0; i < paths.size(); ++i) {
      int rc = replies[i].rc;
      if (rc == ZOK || rc == ZNONODE) {
        ++deleted;
        continue;
      }
      if (failed++ == 0) first_failure = paths[i] + ": " + ZkErrorText(rc);
      HeldInstance& entry = *deleting[i];
      held_.Put(HeldInstances::Key(entry.service, entry.id), std::move(entry));  // the next sweep tries again
    }
  }
  if (deleted != 0) log_.Debug("zookeeper: " + std::to_string(deleted) + " leases lapsed; deleted their nodes");
  if (failed != 0) {
    log_.Warn("zookeeper: " + std::to_string(failed) + " leases lapsed but the delete of their nodes failed (" +
              first_failure + (failed > 1 ? ", ..." : "") + "); retrying");
  }
}

void ZkBackend::CheckHeld() {
  std::vector<HeldInstances::Name> names = held_.TakeChecks();
  if (names.empty()) return;
  std::vector<Read> reads;
  reads.reserve(names.size());
  for (const auto& name : names) {
    reads.push_back(Read{ReadOp::kExists, layout_.Instance(name.service, name.id)});
  }
  const int64_t own = session_->session_id();
  // Each exists sets a watch: whatever happens to the node from now on
  // flags it again (OnNodeEvent).
  std::vector<Reply> replies = ReadMany(session_.get(), reads, /*watch=*/true, Deadline::After(options_.timeout, &stopping_));
  for (size_t i = 0; i < names.size() && !stopping_.load(); ++i) {
    const Reply& r = replies[i];
    if (r.rc == ZOK && r.stat.ephemeralOwner == own) continue;  // ours, as it should be
    if (r.rc != ZOK && r.rc != ZNONODE) {
      held_.MarkCheck(names[i].key);  // no answer: look again next round
      continue;
    }
    MakeHeldNode(names[i].key, reads[i].path);
  }
}

void ZkBackend::MakeHeldNode(const std::string& key, const std::string& path) {
  std::lock_guard<std::mutex> key_lock(held_.KeyLock(key));
  HeldInstance entry;
  if (!held_.Get(key, &entry)) return;               // deregistered meanwhile
  if (entry.deadline < LeaseClock::now()) return;  // lapsed: the sweep deletes it, never re-creates it
  Ownership ownership;
  int64_t other_owner = 0;
  Deadline deadline = Deadline::After(options_.timeout, &stopping_);
  Status s = directories_.CheckInstanceDir(entry.service, deadline);
  if (s.ok()) s = CreateOwnedEphemeral(session_.get(), path, entry.json, deadline, &ownership, &other_owner);
  if (!s.ok()) {
    const std::string line = "zookeeper: cannot re-create " + path + " yet (retrying): " + s.message();
    if (held_.MarkFailed(key)) {
      log_.Debug(line);
    } else {
      log_.Warn(line);
    }
    return;
  }
  if (ownership == Ownership::kCreated) {
    if (entry.recreate) {
      log_.Info("zookeeper: re-created " + path + " in the new session");
    } else if (entry.waiting) {
      log_.Info("zookeeper: the node another session held at " + path + " is gone; created ours");
    } else {
      log_.Warn("zookeeper: " + path + " was deleted by another client while this process holds it; re-created it");
    }
  } else if (ownership == Ownership::kOther && !entry.waiting) {
    LogOtherOwner(path, other_owner);
  }
  held_.SetState(key, /*recreate=*/false, /*waiting=*/ownership == Ownership::kOther);
}

}  // namespace zk
}  // namespace kreg
