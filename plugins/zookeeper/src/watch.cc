#include "watch.h"

#include <algorithm>

#include "kreg/events.hpp"
#include "kreg/json_format.hpp"
#include "kreg/validate.hpp"
#include "nodes.h"
#include "service_nodes.h"
#include "status.h"

namespace kreg {
namespace zk {

namespace {

// A node that vanishes and reappears between our requests is read again,
// a few times at most, before its watch is left to report it.
constexpr int kReadAttempts = 3;

// Pause before retrying reads that failed.
constexpr std::chrono::milliseconds kRetryPause{100};

}  // namespace

void ZkWatch::Dirty::Merge(Dirty&& other) {
  all = all || other.all;
  root = root || other.root;
  full_dirs.merge(other.full_dirs);
  instance_dirs.merge(other.instance_dirs);
  instances.merge(other.instances);
  properties.merge(other.properties);
}

Status ZkWatch::Start(Session* session, const Layout* layout, plugin::Logger log,
                      std::chrono::milliseconds timeout, std::shared_ptr<plugin::EventSink> sink,
                      std::unique_ptr<plugin::WatchSource>* out) {
  std::unique_ptr<ZkWatch> w(new ZkWatch(session, layout, log, timeout, std::move(sink)));
  // Subscribed before the first read: a change during it is marked dirty.
  session->Subscribe(w.get());
  std::vector<WatchEvent> initial;
  w->buffer_ = &initial;
  Dirty work;
  work.all = true;
  Deadline deadline = Deadline::After(timeout);
  while (w->Round(&work, nullptr) == Step::kRetry) {
    if (w->fatal_ || deadline.passed()) {
      session->Unsubscribe(w.get());
      return w->last_error_;
    }
    session->WaitConnected(deadline);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  w->buffer_ = nullptr;
  for (WatchEvent& e : initial) w->sink_->Push(std::move(e));
  w->sink_->Push(SyncedEvent());
  w->thread_ = std::thread([p = w.get()] { p->Run(); });
  *out = std::move(w);
  return Status::OK();
}

ZkWatch::ZkWatch(Session* session, const Layout* layout, plugin::Logger log, std::chrono::milliseconds timeout,
                 std::shared_ptr<plugin::EventSink> sink)
    : session_(session), layout_(layout), log_(log), timeout_(timeout), sink_(std::move(sink)) {}

ZkWatch::~ZkWatch() {
  session_->Unsubscribe(this);
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_.store(true);
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ZkWatch::OnNodeEvent(int, const std::string& path) {
  Layout::Ref ref = layout_->Parse(path);
  {
    std::lock_guard<std::mutex> lock(mu_);
    switch (ref.kind) {
      case Layout::Kind::kOther:
        return;
      case Layout::Kind::kRoot:
        dirty_.root = true;
        break;
      case Layout::Kind::kService:
        dirty_.instance_dirs.insert(ref.service);
        dirty_.properties.insert(ref.service);
        break;
      case Layout::Kind::kInstanceDir:
        dirty_.instance_dirs.insert(ref.service);
        break;
      case Layout::Kind::kInstance:
        dirty_.instances.emplace(ref.service, ref.id);
        break;
      case Layout::Kind::kPropertyDir:
      case Layout::Kind::kProperty:
        dirty_.properties.insert(ref.service);
        break;
    }
  }
  cv_.notify_all();
}

void ZkWatch::OnNewSession() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    dirty_.all = true;
  }
  cv_.notify_all();
}

void ZkWatch::Run() {
  for (;;) {
    Dirty work;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stop_.load() || !dirty_.empty(); });
      if (stop_.load()) return;
      std::swap(work, dirty_);
    }
    if (Round(&work, &stop_) == Step::kDone) continue;
    {
      std::lock_guard<std::mutex> lock(mu_);
      work.Merge(std::move(dirty_));
      dirty_ = std::move(work);
    }
    session_->WaitConnected(Deadline::After(timeout_, &stop_));
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, kRetryPause, [this] { return stop_.load(); });
  }
}

ZkWatch::Step ZkWatch::Round(Dirty* work, const std::atomic<bool>* cancel) {
  Step step = RoundSteps(work, cancel);
  // A round cut short may have read a directory but not its new children:
  // its events wait for the retry, so that they go out with the version of
  // a state that was read whole.
  if (step == Step::kDone) Flush();
  return step;
}

ZkWatch::Step ZkWatch::RoundSteps(Dirty* work, const std::atomic<bool>* cancel) {
  // Each item gets the full timeout: a large tree is not one operation.
  auto deadline = [&] { return Deadline::After(timeout_, cancel); };
  if (work->all) {
    work->all = false;
    work->root = true;
    for (const auto& [service, state] : services_) {
      work->full_dirs.insert(service);
      work->properties.insert(service);
    }
  }
  if (work->root) {
    if (SyncRoot(work, deadline()) == Step::kRetry) return Step::kRetry;
    work->root = false;
  }
  while (!work->full_dirs.empty()) {
    std::string service = *work->full_dirs.begin();
    if (SyncInstances(service, true, deadline()) == Step::kRetry) return Step::kRetry;
    work->full_dirs.erase(service);
    work->instance_dirs.erase(service);
  }
  while (!work->instance_dirs.empty()) {
    std::string service = *work->instance_dirs.begin();
    if (SyncInstances(service, false, deadline()) == Step::kRetry) return Step::kRetry;
    work->instance_dirs.erase(service);
  }
  while (!work->instances.empty()) {
    auto key = *work->instances.begin();
    if (SyncInstance(key.first, key.second, deadline()) == Step::kRetry) return Step::kRetry;
    work->instances.erase(key);
  }
  while (!work->properties.empty()) {
    std::string service = *work->properties.begin();
    if (SyncProperty(service, deadline()) == Step::kRetry) return Step::kRetry;
    work->properties.erase(service);
  }
  return Step::kDone;
}

ZkWatch::Step ZkWatch::Fail(const Status& status) {
  last_error_ = status;
  if (status.code() == KREG_UNAVAILABLE || status.code() == KREG_TIMEOUT) {
    log_.Debug("zookeeper watch: will retry: " + status.message());
    return Step::kRetry;
  }
  if (buffer_ != nullptr) {
    fatal_ = true;
    return Step::kRetry;
  }
  log_.Warn("zookeeper watch: " + status.message());
  sink_->Push(ErrorEvent(status.message()));
  return Step::kDone;
}

ZkWatch::Step ZkWatch::SyncRoot(Dirty* work, const Deadline& deadline) {
  const std::string& root = layout_->root();
  Reply r;
  for (int attempt = 0;; ++attempt) {
    r = GetChildren(session_, root, true, deadline);
    if (r.rc != ZNONODE) break;
    // getChildren leaves no watch on a missing node; exists does.
    Reply e = Exists(session_, root, true, deadline);
    if (e.rc == ZNONODE) break;
    if (e.rc != ZOK) return Fail(ZkStatus(e.rc, "exists", root));
    if (attempt + 1 == kReadAttempts) return Step::kDone;  // the exists watch will tell
  }
  if (r.rc != ZOK && r.rc != ZNONODE) return Fail(ZkStatus(r.rc, "list", root));
  std::set<std::string> names;
  for (const std::string& name : r.children) {
    if (layout_->Reserved(name)) continue;
    if (ValidateName("service name", name).ok()) {
      names.insert(name);
    } else if (bad_names_.insert(name).second) {
      log_.Warn("zookeeper watch: skipping node with an invalid service name: " + layout_->Service(name));
    }
  }
  std::vector<std::string> gone;
  for (const auto& [service, state] : services_) {
    if (names.count(service) == 0) gone.push_back(service);
  }
  for (const std::string& service : gone) RemoveService(service, r.rc == ZOK ? r.stat.pzxid : 0);
  for (const std::string& service : names) {
    if (services_.count(service) != 0) continue;
    services_[service];
    work->full_dirs.insert(service);
    work->properties.insert(service);
  }
  return Step::kDone;
}

ZkWatch::Step ZkWatch::SyncInstances(const std::string& service, bool full, const Deadline& deadline) {
  auto found = services_.find(service);
  if (found == services_.end()) return Step::kDone;  // the root's listing brings it
  ServiceState& state = found->second;
  const std::string dir = layout_->InstanceDir(service);
  Reply r;
  for (int attempt = 0;; ++attempt) {
    r = GetChildren(session_, dir, true, deadline);
    if (r.rc != ZNONODE) break;
    Reply e = Exists(session_, dir, true, deadline);
    if (e.rc == ZNONODE) break;
    if (e.rc != ZOK) return Fail(ZkStatus(e.rc, "exists", dir));
    if (attempt + 1 == kReadAttempts) return Step::kDone;
  }
  if (r.rc != ZOK && r.rc != ZNONODE) return Fail(ZkStatus(r.rc, "list", dir));
  const int64_t pzxid = r.rc == ZOK ? r.stat.pzxid : 0;
  state.instance_dir_pzxid = pzxid;
  std::set<std::string> present(r.children.begin(), r.children.end());

  std::vector<WatchEvent> events;
  for (auto it = state.instances.begin(); it != state.instances.end();) {
    if (present.count(it->first) != 0) {
      ++it;
      continue;
    }
    events.push_back(DeleteEvent(service, it->first, it->second, pzxid));
    state.unwatched.erase(it->first);
    it = state.instances.erase(it);
  }
  for (auto it = state.skipped.begin(); it != state.skipped.end();) {
    if (present.count(it->first) == 0) {
      state.unwatched.erase(it->first);
      it = state.skipped.erase(it);
    } else {
      ++it;
    }
  }

  // Read every child that is new, or whose watch may be gone, or all on a
  // full re-read: pipelined, one round trip for the lot.
  std::vector<std::string> ids;
  std::vector<std::string> paths;
  for (const std::string& id : present) {
    bool known = state.instances.count(id) != 0 || state.skipped.count(id) != 0;
    if (known && !full && state.unwatched.count(id) == 0) continue;  // its data watch reports changes
    if (!ValidateName("instance id", id).ok()) {
      if (!known) log_.Warn("zookeeper watch: skipping node with an invalid instance id: " + dir + "/" + id);
      state.skipped[id] = 0;
      continue;
    }
    ids.push_back(id);
    paths.push_back(layout_->Instance(service, id));
  }
  std::vector<Reply> replies = GetMany(session_, paths, true, deadline);

  // Every record is decoded before any is kept: the long-lived records
  // then lie apart from the decoding's short-lived allocations, whose
  // memory can go back to the system once the events are delivered.
  std::vector<Instance> decoded(ids.size());
  std::vector<ReadResult> results(ids.size());
  Status error;
  for (size_t i = 0; i < ids.size(); ++i) {
    Stat stat;
    results[i] = DecodeInstanceReply(replies[i], log_, paths[i], service, ids[i], &decoded[i], &stat, &error);
  }
  Step step = Step::kDone;
  for (size_t i = 0; i < ids.size(); ++i) {
    const std::string& id = ids[i];
    bool known = state.instances.count(id) != 0 || state.skipped.count(id) != 0;
    if (results[i] == ReadResult::kError) {
      // Unread ids stay as they were; the retry reads them again.
      if (known) state.unwatched.insert(id);
      step = Fail(ZkStatus(replies[i].rc, "read", paths[i]));
      if (step == Step::kRetry) break;
      continue;
    }
    if (results[i] == ReadResult::kMissing) {  // gone again: the re-armed child watch tells
      if (known) state.unwatched.insert(id);
      continue;
    }
    ApplyRead(service, id, results[i], std::move(decoded[i]), &replies[i], &state, &events);
  }
  Emit(service, std::move(events));
  return step;
}

ZkWatch::Step ZkWatch::SyncInstance(const std::string& service, const std::string& id, const Deadline& deadline) {
  auto found = services_.find(service);
  if (found == services_.end()) return Step::kDone;
  ServiceState& state = found->second;
  auto old = state.instances.find(id);
  auto skipped = state.skipped.find(id);
  // An id the children diff has not seen yet is left to it.
  if (old == state.instances.end() && skipped == state.skipped.end()) return Step::kDone;
  if (skipped != state.skipped.end() && skipped->second == 0) return Step::kDone;  // invalid name
  const std::string path = layout_->Instance(service, id);
  Reply reply = Get(session_, path, true, deadline);
  Instance instance;
  Stat stat;
  Status error;
  ReadResult result = DecodeInstanceReply(reply, log_, path, service, id, &instance, &stat, &error);
  if (result == ReadResult::kError) return Fail(error);
  if (result == ReadResult::kMissing) {
    // Deleted, and perhaps already re-created: re-list the directory now,
    // reading this id again if it is there.
    state.unwatched.insert(id);
    return SyncInstances(service, false, deadline);
  }
  std::vector<WatchEvent> events;
  ApplyRead(service, id, result, std::move(instance), &reply, &state, &events);
  Emit(service, std::move(events));
  return Step::kDone;
}

ZkWatch::Step ZkWatch::SyncProperty(const std::string& service, const Deadline& deadline) {
  auto found = services_.find(service);
  if (found == services_.end()) return Step::kDone;
  ServiceState& state = found->second;
  const std::string path = layout_->Property(service);
  const std::string dir_path = layout_->PropertyDir(service);
  Property property;
  Stat stat;
  Status error;
  ReadResult result;
  Reply dir;  // its pzxid is all a deleted property leaves
  for (int attempt = 0;; ++attempt) {
    using Op = ReadOp;
    std::vector<Reply> replies = ReadMany(session_, {{Op::kGet, path}, {Op::kExists, dir_path}}, true, deadline);
    dir = std::move(replies[1]);
    result = DecodePropertyReply(replies[0], log_, path, service, &property, &stat, &error);
    if (result != ReadResult::kMissing) break;
    Reply e = Exists(session_, path, true, deadline);
    if (e.rc == ZNONODE) break;
    if (e.rc != ZOK) return Fail(ZkStatus(e.rc, "exists", path));
    if (attempt + 1 == kReadAttempts) return Step::kDone;
  }
  if (result == ReadResult::kError) return Fail(error);
  if (dir.rc != ZOK && dir.rc != ZNONODE) return Fail(ZkStatus(dir.rc, "exists", dir_path));
  state.property_dir_pzxid = dir.rc == ZOK ? dir.stat.pzxid : 0;
  state.property_mzxid = result == ReadResult::kMissing ? 0 : stat.mzxid;
  std::vector<WatchEvent> events;
  if (result == ReadResult::kOk) {
    if (!state.has_property) {
      events.push_back(PropertyEvent(EventType::kCreate, property, stat.mzxid));
    } else if (state.property.version != stat.mzxid || state.property_czxid != stat.czxid) {
      events.push_back(PropertyEvent(EventType::kModify, property, stat.mzxid));
    }
    state.has_property = true;
    state.property = std::move(property);
    state.property_czxid = stat.czxid;
  } else if (state.has_property) {
    events.push_back(PropertyEvent(EventType::kDelete, state.property, StateVersion(state)));
    state.has_property = false;
  }
  Emit(service, std::move(events));
  return Step::kDone;
}

void ZkWatch::RemoveService(const std::string& service, int64_t version) {
  auto found = services_.find(service);
  if (found == services_.end()) return;
  std::vector<WatchEvent> events;
  for (const auto& [id, reported] : found->second.instances) {
    events.push_back(DeleteEvent(service, id, reported, version));
  }
  if (found->second.has_property) {
    events.push_back(PropertyEvent(EventType::kDelete, found->second.property, version));
  }
  services_.erase(found);
  Emit(service, std::move(events));
}

void ZkWatch::ApplyRead(const std::string& service, const std::string& id, ReadResult result, Instance instance,
                        Reply* reply, ServiceState* state, std::vector<WatchEvent>* events) {
  const Stat& stat = reply->stat;
  state->unwatched.erase(id);
  auto old = state->instances.find(id);
  if (result == ReadResult::kMalformed) {
    if (old != state->instances.end()) {
      events->push_back(DeleteEvent(service, id, old->second, stat.mzxid));
      state->instances.erase(old);
    }
    state->skipped[id] = stat.mzxid;
    return;
  }
  state->skipped.erase(id);
  if (old == state->instances.end()) {
    events->push_back(InstanceEvent(EventType::kCreate, std::move(instance), stat.mzxid));
  } else if (old->second.mzxid != stat.mzxid || old->second.czxid != stat.czxid) {
    events->push_back(InstanceEvent(EventType::kModify, std::move(instance), stat.mzxid));
  }
  state->instances[id] = Reported{std::move(reply->data), stat.mzxid, stat.czxid, stat.version};
}

WatchEvent ZkWatch::DeleteEvent(const std::string& service, const std::string& id, const Reported& reported,
                                int64_t version) const {
  Instance instance;
  // The record decoded when it was reported; were it somehow not to now,
  // the delete still names its instance.
  (void)format::DecodeInstance(reported.json, layout_->Instance(service, id), &instance);
  instance.service_name = service;
  instance.id = id;
  instance.version = reported.mzxid;
  instance.data_version = reported.data_version;
  return InstanceEvent(EventType::kDelete, std::move(instance), version);
}

void ZkWatch::Emit(const std::string& service, std::vector<WatchEvent> events) {
  std::vector<WatchEvent>& pending = pending_[service];
  for (WatchEvent& e : events) pending.push_back(std::move(e));
}

int64_t ZkWatch::StateVersion(const ServiceState& state) {
  int64_t max_instance_mzxid = 0;
  for (const auto& [id, reported] : state.instances) max_instance_mzxid = std::max(max_instance_mzxid, reported.mzxid);
  for (const auto& [id, mzxid] : state.skipped) max_instance_mzxid = std::max(max_instance_mzxid, mzxid);
  return ServiceVersion(state.instance_dir_pzxid, state.property_dir_pzxid, state.property_mzxid,
                        max_instance_mzxid);
}

namespace {

// The events one key went through in one round, made into the one event
// that takes a consumer from what was reported before the round to what
// was read: its type says whether the key existed before and after, its
// data is the last. A key created and deleted within the round has none.
std::vector<WatchEvent> OneEventPerKey(std::vector<WatchEvent> events) {
  struct Slot {
    WatchEvent event;
    bool existed_before;
    bool exists_after;
  };
  std::vector<Slot> slots;
  std::map<std::pair<EventInfo, std::string>, size_t> slot_of;
  for (WatchEvent& e : events) {
    auto key = std::make_pair(e.info, e.info == EventInfo::kInstance ? e.instance.id : std::string());
    auto [at, added] = slot_of.emplace(std::move(key), slots.size());
    const bool existed_before = e.type != EventType::kCreate;
    const bool exists_after = e.type != EventType::kDelete;
    if (added) {
      slots.push_back(Slot{std::move(e), existed_before, exists_after});
      continue;
    }
    Slot& slot = slots[at->second];
    slot.event = std::move(e);
    slot.exists_after = exists_after;
    slot.event.type = !slot.existed_before ? EventType::kCreate
                      : exists_after       ? EventType::kModify
                                           : EventType::kDelete;
  }
  std::vector<WatchEvent> out;
  for (Slot& slot : slots) {
    if (slot.existed_before || slot.exists_after) out.push_back(std::move(slot.event));
  }
  return out;
}

}  // namespace

void ZkWatch::Flush() {
  for (auto& [service, found] : pending_) {
    std::vector<WatchEvent> events = OneEventPerKey(std::move(found));
    if (events.empty()) continue;
    int64_t version = 0;
    auto state = services_.find(service);
    if (state != services_.end()) version = StateVersion(state->second);
    // A removed service has no state left; its deletes carry the zxid
    // that removed it.
    for (const WatchEvent& e : events) version = std::max(version, e.version);
    int64_t& last = last_version_[service];
    // Only a root removed whole leaves no zxid to number its deletes by.
    version = std::max(version, last + 1);
    last = version;
    for (WatchEvent& e : events) {
      e.version = version;
      if (buffer_ != nullptr) {
        buffer_->push_back(std::move(e));
      } else {
        sink_->Push(std::move(e));
      }
    }
  }
  pending_.clear();
}

}  // namespace zk
}  // namespace kreg
