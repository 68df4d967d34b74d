#include "node_mirror.h"

#include <algorithm>
#include <string_view>
#include <unordered_set>
#include <utility>

#include "kreg/events.hpp"
#include "kreg/validate.hpp"
#include "status.h"

namespace kreg {
namespace zk {

namespace {

// A node that vanishes and reappears between our requests is read again,
// a few times at most, before its watch is left to report it.
constexpr int kReadAttempts = 3;

// Reads sent and not yet answered, at most (the rest wait in deferred_):
// a mirror filling itself from a large tree holds a window of requests,
// not all of them at once.
constexpr size_t kMaxSent = 2000;

// Pause between rounds of retries, so a failing server is not hammered.
constexpr std::chrono::milliseconds kRetryPause{100};

// The events keys went through, made into one event per key that takes a
// consumer from what it had before the first to what the last says: its
// type says whether the key existed before and after, its data is the
// last. A key created and deleted in between has none.
std::vector<WatchEvent> OneEventPerKey(std::vector<WatchEvent> events) {
  if (events.size() < 2) return events;  // a live change's usual lot
  struct Slot {
    WatchEvent event;
    bool existed_before;
  };
  std::vector<Slot> slots;
  std::map<std::tuple<std::string, EventInfo, std::string>, size_t> slot_of;
  for (WatchEvent& e : events) {
    auto key = std::make_tuple(e.service_name, e.info, e.info == EventInfo::kInstance ? e.instance.id : std::string());
    auto [at, added] = slot_of.emplace(std::move(key), slots.size());
    if (added) {
      const bool existed_before = e.type != EventType::kCreate;
      slots.push_back(Slot{std::move(e), existed_before});
      continue;
    }
    Slot& slot = slots[at->second];
    const bool exists_after = e.type != EventType::kDelete;
    slot.event = std::move(e);
    slot.event.type = !slot.existed_before ? EventType::kCreate
                      : exists_after       ? EventType::kModify
                                           : EventType::kDelete;
  }
  std::vector<WatchEvent> out;
  for (Slot& slot : slots) {
    const bool exists_after = slot.event.type != EventType::kDelete;
    if (slot.existed_before || exists_after) out.push_back(std::move(slot.event));
  }
  return out;
}

}  // namespace

std::shared_ptr<NodeMirror> NodeMirror::Start(Session* session, const Layout* layout, plugin::Logger log,
                                              std::chrono::milliseconds timeout) {
  std::shared_ptr<NodeMirror> mirror(new NodeMirror(session, layout, log, timeout));
  session->Subscribe(mirror.get());
  mirror->retry_thread_ = std::thread([m = mirror.get()] { m->RetryLoop(); });
  return mirror;
}

NodeMirror::NodeMirror(Session* session, const Layout* layout, plugin::Logger log, std::chrono::milliseconds timeout)
    : session_(session), layout_(layout), log_(log), timeout_(timeout) {}

void NodeMirror::Stop() {
  session_->Unsubscribe(this);
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopped_ = true;
    stopping_.store(true);
    subscribers_.clear();
    deferred_.clear();
  }
  retry_cv_.notify_all();
  settled_cv_.notify_all();
  if (retry_thread_.joinable()) retry_thread_.join();
}

std::shared_ptr<NodeMirror::Tracked> NodeMirror::Track(const std::string& service) {
  std::shared_ptr<Tracked>& slot = services_[service];
  if (slot == nullptr) {
    slot = std::make_shared<Tracked>();
    slot->generation = next_generation_++;
  }
  return slot;
}

Status NodeMirror::ReadService(const std::string& service,
                               const std::function<void(const MirroredService&)>& read) {
  const Deadline deadline = Deadline::After(timeout_);
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    if (stopped_) return Status::Unavailable("zookeeper: the backend is closing");
    std::shared_ptr<Tracked> t = Track(service);
    t->cached = true;
    if (!t->error.ok()) {
      Status error = t->error;
      t->error = Status::OK();
      t->loaded = false;  // read whole next time
      return error;
    }
    const bool current = t->loaded && t->epoch == session_->connection_epoch();
    if (Settled(*t) && current) {
      if (!t->state.exists) {
        return Status::NotFound("service \"" + service + "\" does not exist (no znode " + layout_->Service(service) +
                                ")");
      }
      read(t->state);
      return Status::OK();
    }
    if (Settled(*t)) LoadService(service, t.get());
    if (deadline.passed()) {
      if (!t->failure.ok()) return t->failure;
      return Status::Timeout("zookeeper: service \"" + service + "\" could not be read within " +
                             std::to_string(timeout_.count()) + "ms");
    }
    settled_cv_.wait_until(lock, std::min(deadline.at, Clock::now() + std::chrono::milliseconds(50)));
  }
}

void NodeMirror::Release(const std::string& service) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = services_.find(service);
  if (it == services_.end()) return;
  it->second->cached = false;
  if (!it->second->listed) services_.erase(it);
}

Status NodeMirror::AddWatch(std::shared_ptr<plugin::EventSink> sink, uint64_t* id) {
  const Deadline deadline = Deadline::After(timeout_);
  std::unique_lock<std::mutex> lock(mu_);
  if (!root_watched_) {
    root_watched_ = true;
    root_loaded_ = false;
    root_error_ = Status::OK();
    ReadRoot();
  }
  for (;;) {
    if (stopped_) return Status::Unavailable("zookeeper: the backend is closing");
    if (!root_error_.ok()) break;
    bool ready = root_loaded_ && RootSettled();
    for (const auto& [name, t] : services_) {
      if (!t->listed) continue;
      if (!t->error.ok()) {
        // Reported here, and read whole again by the next watch.
        Status error = t->error;
        t->error = Status::OK();
        t->loaded = false;
        StopWatchingRootIfUnwatched();
        return error;
      }
      if (!t->loaded) {
        ready = false;
        if (Settled(*t)) LoadService(name, t.get());
      }
    }
    if (ready) break;
    if (deadline.passed()) {
      Status failure = root_failure_;
      for (const auto& [name, t] : services_) {
        if (failure.ok() && t->listed && !t->failure.ok()) failure = t->failure;
      }
      if (failure.ok()) {
        failure = Status::Timeout("zookeeper: the services under " + layout_->root() + " could not be read within " +
                                  std::to_string(timeout_.count()) + "ms");
      }
      StopWatchingRootIfUnwatched();
      return failure;
    }
    settled_cv_.wait_until(lock, std::min(deadline.at, Clock::now() + std::chrono::milliseconds(50)));
  }
  if (!root_error_.ok()) {
    Status error = root_error_;
    StopWatchingRootIfUnwatched();
    return error;
  }
  auto subscriber = std::make_unique<Subscriber>();
  subscriber->id = next_subscriber_++;
  subscriber->sink = std::move(sink);
  for (const auto& [name, t] : services_) {
    if (t->listed && !Settled(*t)) subscriber->waiting.insert(name);
  }
  if (subscriber->waiting.empty()) {
    // The common case, and the one with the largest initial state: it goes
    // straight into the sink, never held whole a second time.
    for (const auto& [name, t] : services_) {
      if (t->listed) PushCreates(name, *t, subscriber->sink.get());
    }
    subscriber->sink->Push(SyncedEvent());
    subscriber->synced = true;
  } else {
    for (const auto& [name, t] : services_) {
      if (t->listed && subscriber->waiting.count(name) == 0) AppendCreates(name, *t, &subscriber->initial);
    }
  }
  *id = subscriber->id;
  subscribers_.push_back(std::move(subscriber));
  return Status::OK();
}

void NodeMirror::RemoveWatch(uint64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  subscribers_.erase(std::remove_if(subscribers_.begin(), subscribers_.end(),
                                    [&](const std::unique_ptr<Subscriber>& s) { return s->id == id; }),
                     subscribers_.end());
  StopWatchingRootIfUnwatched();
}

void NodeMirror::StopWatchingRootIfUnwatched() {
  if (!subscribers_.empty() || !root_watched_) return;
  // No watch is left: only what the cache reads stays mirrored (the
  // watches left on the rest fire once more, unanswered).
  root_watched_ = false;
  ++root_generation_;
  root_in_flight_ = 0;
  root_retry_ = false;
  for (auto it = services_.begin(); it != services_.end();) {
    it->second->listed = false;
    it = it->second->cached ? std::next(it) : services_.erase(it);
  }
}

void NodeMirror::Issue(ReadOp op, const std::string& path, bool watch, Tracked* t, ReadTag tag) {
  if (t == nullptr) {
    ++root_in_flight_;
    tag.generation = root_generation_;
  } else {
    ++t->in_flight;
    if (tag.kind == ReadKind::kInstanceDir && !tag.confirming) ++t->listings_in_flight;
    tag.generation = t->generation;
  }
  if (sent_ >= kMaxSent) {
    deferred_.push_back(Deferred{op, path, watch, std::move(tag)});
    return;
  }
  Send(op, path, watch, std::move(tag));
}

void NodeMirror::Send(ReadOp op, const std::string& path, bool watch, ReadTag tag) {
  ++sent_;
  std::shared_ptr<NodeMirror> self = shared_from_this();
  const uint64_t epoch = send_epoch_;
  ReadTag copy = tag;
  int rc = ReadAsync(session_, Read{op, path}, watch, [self, epoch, tag = std::move(copy)](Reply&& reply) {
    std::lock_guard<std::mutex> lock(self->mu_);
    if (epoch == self->send_epoch_) --self->sent_;
    if (self->stopped_) return;
    self->OnReply(tag, std::move(reply));
    self->SendDeferred();
  });
  if (rc != ZOK) {
    --sent_;
    Reply refused;
    refused.rc = rc;
    OnReply(tag, std::move(refused));
  }
}

void NodeMirror::SendDeferred() {
  while (sent_ < kMaxSent && !deferred_.empty()) {
    Deferred next = std::move(deferred_.front());
    deferred_.pop_front();
    if (Stale(next.tag)) continue;
    Send(next.op, next.path, next.watch, std::move(next.tag));
  }
}

bool NodeMirror::Stale(const ReadTag& tag) const {
  if (tag.service.empty()) return tag.generation != root_generation_ || !root_watched_;
  auto found = services_.find(tag.service);
  return found == services_.end() || found->second->generation != tag.generation;
}

void NodeMirror::OnReply(const ReadTag& tag, Reply&& reply) {
  if (Stale(tag)) return;
  std::shared_ptr<Tracked> keep;
  if (!tag.service.empty()) keep = services_.at(tag.service);
  Tracked* t = keep.get();
  if (t != nullptr && tag.kind == ReadKind::kInstanceDir && !tag.confirming) --t->listings_in_flight;
  const bool may_be_missing =
      tag.kind == ReadKind::kRoot || tag.kind == ReadKind::kInstanceDir || tag.kind == ReadKind::kProperty;
  if (tag.confirming) {
    if (reply.rc == ZOK) {
      if (tag.attempt + 1 < kReadAttempts) {  // else its exists watch will tell
        ReadTag again = tag;
        again.confirming = false;
        ++again.attempt;
        Reread(t, std::move(again));
      }
    } else if (reply.rc == ZNONODE) {
      Apply(tag, t, std::move(reply));
    } else {
      Fail(t, reply.rc, "exists", PathOf(tag));
    }
  } else if (reply.rc == ZNONODE && may_be_missing) {
    ReadTag confirm = tag;
    confirm.confirming = true;
    Issue(ReadOp::kExists, PathOf(tag), true, t, std::move(confirm));
  } else {
    Apply(tag, t, std::move(reply));
  }
  if (t == nullptr) {
    if (--root_in_flight_ == 0) settled_cv_.notify_all();
  } else if (--t->in_flight == 0 && !t->retry) {
    Settle(tag.service, t);
  }
}

std::string NodeMirror::PathOf(const ReadTag& tag) const {
  switch (tag.kind) {
    case ReadKind::kRoot:
      return layout_->root();
    case ReadKind::kServiceNode:
      return layout_->Service(tag.service);
    case ReadKind::kInstanceDir:
      return layout_->InstanceDir(tag.service);
    case ReadKind::kInstance:
      return layout_->Instance(tag.service, tag.id);
    case ReadKind::kProperty:
      return layout_->Property(tag.service);
    case ReadKind::kPropertyDir:
      return layout_->PropertyDir(tag.service);
  }
  return std::string();
}

void NodeMirror::Reread(Tracked* t, ReadTag tag) {
  const std::string path = PathOf(tag);
  switch (tag.kind) {
    case ReadKind::kRoot:
    case ReadKind::kInstanceDir:
      Issue(ReadOp::kGetChildren, path, true, t, std::move(tag));
      break;
    case ReadKind::kInstance:
    case ReadKind::kProperty:
      Issue(ReadOp::kGet, path, true, t, std::move(tag));
      break;
    case ReadKind::kServiceNode:
      Issue(ReadOp::kExists, path, true, t, std::move(tag));
      break;
    case ReadKind::kPropertyDir:
      Issue(ReadOp::kExists, path, false, t, std::move(tag));
      break;
  }
}

void NodeMirror::Apply(const ReadTag& tag, Tracked* t, Reply&& reply) {
  const bool ok = reply.rc == ZOK || reply.rc == ZNONODE;
  switch (tag.kind) {
    case ReadKind::kRoot:
      if (ok) {
        ApplyRoot(reply);
      } else {
        Fail(t, reply.rc, "list", PathOf(tag));
      }
      return;
    case ReadKind::kServiceNode:
      if (ok) {
        t->state.exists = reply.rc == ZOK;
      } else {
        Fail(t, reply.rc, "read", PathOf(tag));
      }
      return;
    case ReadKind::kInstanceDir:
      if (ok) {
        ApplyInstanceDir(tag, t, std::move(reply));
      } else {
        Fail(t, reply.rc, "list", PathOf(tag));
      }
      return;
    case ReadKind::kInstance:
      ApplyInstance(tag, t, std::move(reply));
      return;
    case ReadKind::kProperty:
      ApplyProperty(tag.service, t, std::move(reply));
      return;
    case ReadKind::kPropertyDir:
      if (ok) {
        t->state.property_dir_pzxid = reply.rc == ZOK ? reply.stat.pzxid : 0;
      } else {
        Fail(t, reply.rc, "read", PathOf(tag));
      }
      return;
  }
}

void NodeMirror::ReadRoot() { Reread(nullptr, ReadTag{ReadKind::kRoot, "", "", 0, false, false, false, 0}); }

void NodeMirror::ApplyRoot(const Reply& reply) {
  root_loaded_ = true;
  std::set<std::string> names;
  for (const std::string& name : reply.children) {
    if (layout_->Reserved(name)) continue;
    if (ValidateName("service name", name).ok()) {
      names.insert(name);
    } else {
      WarnOnce("an invalid service name", layout_->Service(name));
    }
  }
  std::vector<std::string> gone;
  for (const auto& [name, t] : services_) {
    if (t->listed && names.count(name) == 0) gone.push_back(name);
  }
  const int64_t pzxid = reply.rc == ZOK ? reply.stat.pzxid : 0;
  for (const std::string& name : gone) RemoveService(name, pzxid);
  for (const std::string& name : names) {
    std::shared_ptr<Tracked> t = Track(name);
    if (t->listed) continue;
    t->listed = true;
    if (!t->loaded && Settled(*t)) LoadService(name, t.get());
  }
}

void NodeMirror::LoadService(const std::string& service, Tracked* t) {
  t->loading = true;
  t->load_epoch = session_->connection_epoch();
  Reread(t, ReadTag{ReadKind::kServiceNode, service, "", 0, false, false, false, 0});
  ReadInstanceDir(service, t, /*full=*/true);
  ReadProperty(service, t);
}

void NodeMirror::ReadInstanceDir(const std::string& service, Tracked* t, bool full) {
  Reread(t, ReadTag{ReadKind::kInstanceDir, service, "", 0, full, false, false, 0});
}

void NodeMirror::ApplyInstanceDir(const ReadTag& tag, Tracked* t, Reply&& reply) {
  const std::string& service = tag.service;
  MirroredService& s = t->state;
  const std::string dir = layout_->InstanceDir(service);
  const int64_t pzxid = reply.rc == ZOK ? reply.stat.pzxid : 0;
  s.instance_dir_pzxid = pzxid;
  // One hashed lookup per child, the raw cost of a listing; the known
  // ones gone are looked for only when fewer are listed than known.
  size_t known_listed = 0;
  for (const std::string& id : reply.children) {
    const bool known = s.instances.count(id) != 0 || s.skipped.count(id) != 0;
    if (known) ++known_listed;
    // Read every child that is new, or whose watch may be gone, or all on
    // a whole read: pipelined, one round trip for the lot.
    if (known && !tag.full && s.unwatched.count(id) == 0) continue;  // its data watch reports changes
    if (!ValidateName("instance id", id).ok()) {
      WarnOnce("an invalid instance id", dir + "/" + id);
      if (!known) ++known_listed;  // now skipped
      s.skipped[id] = 0;
      continue;
    }
    Reread(t, ReadTag{ReadKind::kInstance, service, id, 0, false, /*listed=*/true, false, 0});
  }
  if (known_listed == s.instances.size() + s.skipped.size()) return;
  std::unordered_set<std::string_view> present(reply.children.begin(), reply.children.end());
  for (auto it = s.instances.begin(); it != s.instances.end();) {
    if (present.count(it->first) != 0) {
      ++it;
      continue;
    }
    t->pending.push_back(DeleteEvent(service, it->first, it->second, pzxid));
    s.unwatched.erase(it->first);
    it = s.instances.erase(it);
  }
  for (auto it = s.skipped.begin(); it != s.skipped.end();) {
    if (present.count(it->first) != 0) {
      ++it;
      continue;
    }
    s.unwatched.erase(it->first);
    it = s.skipped.erase(it);
  }
}

void NodeMirror::ApplyInstance(const ReadTag& tag, Tracked* t, Reply&& reply) {
  const std::string& service = tag.service;
  const std::string& id = tag.id;
  MirroredService& s = t->state;
  auto skipped = s.skipped.find(id);
  const bool known = s.instances.count(id) != 0 || skipped != s.skipped.end();
  // A notification's read of an id the listing has not brought yet, or
  // has dropped, is left to the listing.
  if (!tag.listed && !known) return;
  if (skipped != s.skipped.end() && skipped->second == 0) return;  // an invalid id
  const std::string path = layout_->Instance(service, id);
  Instance instance;
  Stat stat;
  Status error;
  switch (DecodeInstanceReply(reply, log_, path, service, id, &instance, &stat, &error)) {
    case ReadResult::kError:
      if (known) s.unwatched.insert(id);
      Fail(t, reply.rc, "read", path);
      return;
    case ReadResult::kMissing:
      if (known) s.unwatched.insert(id);
      // Deleted, and perhaps already created again: list the directory,
      // which reads this id again if it is there. A listing still in
      // flight was sent after this read (a session's replies come in the
      // order of its requests), so it sees the delete too: the directory's
      // own notification usually sent one.
      if (!tag.listed && t->listings_in_flight == 0) ReadInstanceDir(service, t, false);
      return;
    case ReadResult::kMalformed: {
      s.unwatched.erase(id);
      auto old = s.instances.find(id);
      if (old != s.instances.end()) {
        t->pending.push_back(DeleteEvent(service, id, old->second, stat.mzxid));
        s.instances.erase(old);
      }
      s.skipped[id] = stat.mzxid;
      s.max_instance_mzxid = std::max(s.max_instance_mzxid, stat.mzxid);
      return;
    }
    case ReadResult::kOk:
      break;
  }
  s.unwatched.erase(id);
  s.skipped.erase(id);
  auto old = s.instances.find(id);
  if (old == s.instances.end()) {
    t->pending.push_back(InstanceEvent(EventType::kCreate, std::move(instance), stat.mzxid));
  } else if (old->second.mzxid != stat.mzxid || old->second.czxid != stat.czxid) {
    t->pending.push_back(InstanceEvent(EventType::kModify, std::move(instance), stat.mzxid));
  }
  s.max_instance_mzxid = std::max(s.max_instance_mzxid, stat.mzxid);
  s.instances[id] = MirroredInstance{std::move(reply.data), stat.mzxid, stat.czxid, stat.version};
}

void NodeMirror::ReadProperty(const std::string& service, Tracked* t) {
  Reread(t, ReadTag{ReadKind::kProperty, service, "", 0, false, false, false, 0});
  // A deleted property leaves its trace only in its directory's pzxid.
  Reread(t, ReadTag{ReadKind::kPropertyDir, service, "", 0, false, false, false, 0});
}

void NodeMirror::ApplyProperty(const std::string& service, Tracked* t, Reply&& reply) {
  MirroredService& s = t->state;
  const std::string path = layout_->Property(service);
  Property property;
  Stat stat;
  Status error;
  ReadResult result = DecodePropertyReply(reply, log_, path, service, &property, &stat, &error);
  if (result == ReadResult::kError) {
    Fail(t, reply.rc, "read", path);
    return;
  }
  s.property_mzxid = result == ReadResult::kMissing ? 0 : stat.mzxid;
  if (result == ReadResult::kOk) {
    if (!s.has_property) {
      t->pending.push_back(PropertyEvent(EventType::kCreate, property, stat.mzxid));
    } else if (s.property.version != stat.mzxid || s.property_czxid != stat.czxid) {
      t->pending.push_back(PropertyEvent(EventType::kModify, property, stat.mzxid));
    }
    s.has_property = true;
    s.property = std::move(property);
    s.property_czxid = stat.czxid;
  } else if (s.has_property) {
    t->pending.push_back(PropertyEvent(EventType::kDelete, s.property, ServiceVersion(s)));
    s.has_property = false;
  }
}

void NodeMirror::RemoveService(const std::string& service, int64_t version) {
  auto found = services_.find(service);
  if (found == services_.end()) return;
  std::shared_ptr<Tracked> t = found->second;
  for (const auto& [id, node] : t->state.instances) t->pending.push_back(DeleteEvent(service, id, node, version));
  if (t->state.has_property) t->pending.push_back(PropertyEvent(EventType::kDelete, t->state.property, version));
  // What was in flight for it is stale now.
  t->state = MirroredService();
  t->generation = next_generation_++;
  t->in_flight = 0;
  t->listings_in_flight = 0;
  t->retry = false;
  t->loading = false;
  t->listed = false;
  Settle(service, t.get());
  if (!t->cached) services_.erase(found);
}

void NodeMirror::Fail(Tracked* t, int rc, const std::string& op, const std::string& path) {
  Status status = ZkStatus(rc, op, path);
  if (IsRetryable(rc)) {
    log_.Debug("zookeeper mirror: will retry: " + status.message());
    if (t == nullptr) {
      root_retry_ = true;
      root_failure_ = status;
    } else {
      t->retry = true;
      t->failure = status;
    }
    retry_cv_.notify_all();
    return;
  }
  log_.Warn("zookeeper: " + status.message());
  if (t == nullptr) {
    root_error_ = status;
  } else {
    t->error = status;
  }
  for (const auto& s : subscribers_) {
    if (s->synced) s->sink->Push(ErrorEvent(status.message()));
  }
}

WatchEvent NodeMirror::DeleteEvent(const std::string& service, const std::string& id, const MirroredInstance& node,
                                   int64_t version) const {
  return InstanceEvent(EventType::kDelete, DecodeMirrored(*layout_, service, id, node), version);
}

void NodeMirror::Settle(const std::string& service, Tracked* t) {
  if (t->loading) {
    t->loading = false;
    t->loaded = true;
    t->epoch = t->load_epoch;
  }
  t->failure = Status::OK();
  std::vector<WatchEvent> events = OneEventPerKey(std::move(t->pending));
  t->pending.clear();
  int64_t version = ServiceVersion(t->state);
  int64_t& last = last_version_[service];
  if (events.empty()) {
    t->state.version = std::max(version, last);
  } else {
    for (const WatchEvent& e : events) version = std::max(version, e.version);
    // Only a root removed whole leaves no zxid to number its deletes by.
    version = std::max(version, last + 1);
    last = version;
    t->state.version = version;
    for (WatchEvent& e : events) e.version = version;
  }
  Deliver(service, std::move(events), *t);
  settled_cv_.notify_all();
}

void NodeMirror::ForEachCreate(const std::string& service, const Tracked& t,
                               const std::function<void(WatchEvent&&)>& fn) const {
  const MirroredService& s = t.state;
  for (const auto& [id, node] : s.instances) {
    fn(InstanceEvent(EventType::kCreate, DecodeMirrored(*layout_, service, id, node), s.version));
  }
  if (s.has_property) fn(PropertyEvent(EventType::kCreate, s.property, s.version));
}

void NodeMirror::AppendCreates(const std::string& service, const Tracked& t, std::vector<WatchEvent>* out) const {
  ForEachCreate(service, t, [out](WatchEvent&& e) { out->push_back(std::move(e)); });
}

void NodeMirror::PushCreates(const std::string& service, const Tracked& t, plugin::EventSink* sink) const {
  ForEachCreate(service, t, [sink](WatchEvent&& e) { sink->Push(std::move(e)); });
}

void NodeMirror::Deliver(const std::string& service, std::vector<WatchEvent>&& events, const Tracked& t) {
  // The last watch that has synced gets the events themselves, the others
  // copies: a watch's latency does not pay for a copy of every event.
  Subscriber* moved_to = nullptr;
  for (const auto& s : subscribers_) {
    if (s->synced) {
      if (moved_to != nullptr) {
        for (const WatchEvent& e : events) moved_to->sink->Push(e);
      }
      moved_to = s.get();
      continue;
    }
    if (s->waiting.erase(service) != 0) {
      AppendCreates(service, t, &s->initial);
    } else {
      s->initial.insert(s->initial.end(), events.begin(), events.end());
    }
    if (s->waiting.empty()) PushInitial(s.get());
  }
  if (moved_to != nullptr) {
    for (WatchEvent& e : events) moved_to->sink->Push(std::move(e));
  }
}

void NodeMirror::PushInitial(Subscriber* s) {
  for (WatchEvent& e : OneEventPerKey(std::move(s->initial))) s->sink->Push(std::move(e));
  s->initial.clear();
  s->sink->Push(SyncedEvent());
  s->synced = true;
}

void NodeMirror::WarnOnce(const std::string& what, const std::string& path) {
  if (warned_.insert(path).second) log_.Warn("zookeeper: skipping node with " + what + ": " + path);
}

void NodeMirror::OnNodeEvent(int, const std::string& path) {
  Layout::Ref ref = layout_->Parse(path);
  if (ref.kind == Layout::Kind::kOther) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (stopped_) return;
  if (ref.kind == Layout::Kind::kRoot) {
    if (root_watched_) ReadRoot();
    return;
  }
  auto found = services_.find(ref.service);
  if (found == services_.end()) return;
  Tracked* t = found->second.get();
  switch (ref.kind) {
    case Layout::Kind::kService:
      LoadService(ref.service, t);
      break;
    case Layout::Kind::kInstanceDir:
      ReadInstanceDir(ref.service, t, false);
      break;
    case Layout::Kind::kInstance:
      Reread(t, ReadTag{ReadKind::kInstance, ref.service, ref.id, 0, false, false, false, 0});
      break;
    case Layout::Kind::kPropertyDir:
    case Layout::Kind::kProperty:
      ReadProperty(ref.service, t);
      break;
    case Layout::Kind::kOther:
    case Layout::Kind::kRoot:
      break;
  }
}

void NodeMirror::OnNewSession() {
  std::lock_guard<std::mutex> lock(mu_);
  // Every watch went with the old session, and replies still due on its
  // handle are stale (the client may drop some unanswered): everything is
  // read whole again.
  ++send_epoch_;
  sent_ = 0;
  deferred_.clear();
  if (root_watched_) {
    ++root_generation_;
    root_in_flight_ = 0;
    root_retry_ = true;
  }
  for (auto& [name, t] : services_) {
    t->generation = next_generation_++;
    t->in_flight = 0;
    t->listings_in_flight = 0;
    t->retry = true;
  }
  retry_cv_.notify_all();
}

void NodeMirror::RetryLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  auto work = [this] {
    if (root_retry_) return true;
    for (const auto& [name, t] : services_) {
      if (t->retry) return true;
    }
    return false;
  };
  for (;;) {
    retry_cv_.wait(lock, [&] { return stopped_ || work(); });
    if (stopped_) return;
    lock.unlock();
    session_->WaitConnected(Deadline::After(timeout_, &stopping_));
    lock.lock();
    if (stopped_) return;
    if (root_retry_ && root_in_flight_ == 0 && root_watched_) {
      root_retry_ = false;
      ReadRoot();
    }
    for (auto& [name, t] : services_) {
      if (!t->retry || t->in_flight != 0) continue;
      t->retry = false;
      LoadService(name, t.get());
    }
    retry_cv_.wait_for(lock, kRetryPause, [this] { return stopped_; });
  }
}

}  // namespace zk
}  // namespace kreg
