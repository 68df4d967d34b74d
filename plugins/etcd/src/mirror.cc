#include "mirror.h"

#include <algorithm>

#include "kreg/data_model.hpp"
#include "kreg/events.hpp"
#include "kreg/json_format.hpp"

namespace kreg {
namespace etcd {

namespace {

using std::chrono::milliseconds;

// How long a replay of the history must bring nothing, its content already
// equal to the range, before the mirror serves without seeing that range's
// revision go by (etcd sends a history in rounds about 100 ms apart).
// A round that is not full ends the replay exactly (WatchLoop gives its
// header's revision as `through`); this is for a replay that sends none.
constexpr milliseconds kQuiet(1000);

bool CanonicalKey(const std::string& key) { return !key.empty() && key.back() == '/'; }

}  // namespace

Mirror::Mirror(HttpClient* http, Kv* kv, const Layout& layout, const Options& options, plugin::Logger log)
    : http_(http), kv_(kv), layout_(layout), options_(options), log_(std::move(log)) {}

Mirror::~Mirror() { loop_.reset(); }

Status Mirror::StartLocked(std::unique_lock<std::mutex>* held, Clock::time_point deadline) {
  std::unique_lock<std::mutex>& lock = *held;
  while (loop_ == nullptr) {
    if (starting_) {
      if (!cv_.wait_until(lock, deadline, [this] { return !starting_; })) {
        return Status::Timeout("etcd: the first read of " + layout_.Prefix() + " did not end within " +
                               std::to_string(options_.timeout.count()) + " ms");
      }
      continue;
    }
    // First use: the range the replay must reach, then the watch from the
    // oldest revision etcd has (1, or the compaction's: OnCompacted).
    starting_ = true;
    lock.unlock();
    std::vector<KeyValue> keys;
    int64_t at = 0;
    const std::string prefix = layout_.Prefix();
    Status s = kv_->Range("etcd: reading the registry under " + prefix, prefix, Layout::PrefixEnd(prefix), 0,
                          /*keys_only=*/true, &keys, &at, deadline);
    lock.lock();
    starting_ = false;
    cv_.notify_all();
    if (!s.ok()) return s;
    target_.clear();
    for (const KeyValue& kv : keys) target_[kv.key] = kv.mod_revision;
    target_revision_ = at;
    pending_ = std::make_unique<State>();
    CountMismatches();
    replay_batch_full_ = false;
    last_event_ = Clock::now();
    loop_ = std::make_unique<WatchLoop>(http_, prefix, Layout::PrefixEnd(prefix), /*deletes_only=*/false, options_,
                                        log_, this);
    loop_->Start(1);
  }
  return Status::OK();
}

Status Mirror::WaitFor(int64_t revision, Clock::time_point deadline) {
  std::unique_lock<std::mutex> lock(mu_);
  Status s = StartLocked(&lock, deadline);
  if (!s.ok()) return s;
  if (cv_.wait_until(lock, deadline, [&] { return live_ && state_.through >= revision; })) return Status::OK();
  std::string why = !live_ ? "is still replaying the store's history (at revision " +
                                 std::to_string(pending_ ? pending_->through : 0) + " of " +
                                 std::to_string(target_revision_) + ")"
                           : "has not seen revision " + std::to_string(revision) + " (it is at " +
                                 std::to_string(state_.through) + ")";
  std::string text = "etcd: the backend's watch of " + layout_.Prefix() + " " + why + " after " +
                     std::to_string(options_.timeout.count()) + " ms";
  if (!last_error_.ok()) return Status::Unavailable(text + "; last error: " + last_error_.message());
  return Status::Timeout(text + (live_ ? "" : "; a store compacted often replays quicker (etcdctl compaction)"));
}

Status Mirror::GetService(const std::string& name, std::shared_ptr<const Service>* out) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = state_.services.find(name);
  if (it == state_.services.end()) {
    return Status::NotFound("etcd: service \"" + name + "\" not found under " + layout_.Prefix());
  }
  *out = Build(name, &it->second);
  return Status::OK();
}

void Mirror::ListServices(std::vector<Service>* out) {
  std::lock_guard<std::mutex> lock(mu_);
  out->clear();
  out->reserve(state_.services.size());
  for (auto& [name, service] : state_.services) out->push_back(*Build(name, &service));
}

uint64_t Mirror::Subscribe(std::shared_ptr<plugin::EventSink> sink) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [name, service] : state_.services) {
    for (const auto& [id, record] : service.instances) {
      sink->Push(InstanceEvent(EventType::kCreate, record.instance, service.version));
    }
    if (service.property) sink->Push(PropertyEvent(EventType::kCreate, service.property->property, service.version));
  }
  sink->Push(SyncedEvent());
  uint64_t id = next_sink_++;
  sinks_[id] = std::move(sink);
  return id;
}

void Mirror::Unsubscribe(uint64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  sinks_.erase(id);
}

std::shared_ptr<const Service> Mirror::Build(const std::string& name, ServiceState* service) {
  if (service->built) return service->built;
  auto built = std::make_shared<Service>();
  built->service_name = name;
  built->version = service->version;
  for (const auto& [id, record] : service->instances) AddInstance(record.instance, built.get());
  if (service->property) format::MergeProperty(service->property->property, built.get());
  service->built = built;
  return built;
}

void Mirror::WarnSkipped(const std::string& key, int64_t mod_revision, const std::string& why) {
  if (warned_.insert(key + "@" + std::to_string(mod_revision)).second) {
    log_.Warn("etcd: skipped key \"" + key + "\" (revision " + std::to_string(mod_revision) + "): " + why);
  }
}

void Mirror::Emit(const std::vector<WatchEvent>& events) {
  for (const auto& [id, sink] : sinks_) {
    for (const WatchEvent& e : events) sink->Push(e);
  }
}

void Mirror::Apply(State* state, const KvEvent& event, std::vector<WatchEvent>* emit) {
  const std::string& key = event.kv.key;
  if (event.deleted) {
    state->keys.erase(key);
  } else {
    state->keys[key] = event.kv.mod_revision;
  }
  Layout::Ref ref = layout_.Parse(key);
  if (ref.kind == Layout::Kind::kOther) {
    if (!event.deleted) {
      WarnSkipped(key, event.kv.mod_revision,
                  "not a key of the layout <root>/<service>/instance/<id>/ or <root>/<service>/property/backend/ "
                  "with valid names");
    }
    return;
  }
  auto it = state->services.find(ref.service);
  if (it == state->services.end()) {
    if (event.deleted) return;  // nothing of it was ever read
    it = state->services.emplace(ref.service, ServiceState()).first;
  }
  if (ref.kind == Layout::Kind::kInstance) {
    ApplyInstance(&it->second, ref, event, emit);
  } else {
    ApplyProperty(&it->second, ref, event, emit);
  }
  // A service made only of records that never decoded does not exist.
  if (it->second.version == 0) state->services.erase(it);
}

void Mirror::ApplyInstance(ServiceState* service, const Layout::Ref& ref, const KvEvent& event,
                           std::vector<WatchEvent>* emit) {
  const int64_t revision = event.kv.mod_revision;
  auto existing = service->instances.find(ref.id);
  const bool ours = existing != service->instances.end() && existing->second.key == event.kv.key;
  if (existing != service->instances.end() && !ours) {
    // The id is stored under both spellings (with and without the slash):
    // the one with the slash is read.
    if (!CanonicalKey(event.kv.key)) return;
  }
  auto report = [&](EventType type, Instance instance) {
    service->version = std::max(service->version, revision);
    if (service->built) retired_.push_back(std::move(service->built));
    if (emit != nullptr) emit->push_back(InstanceEvent(type, std::move(instance), revision));
  };
  Instance decoded;
  Status s;
  if (!event.deleted) {
    s = format::DecodeInstance(event.kv.value, event.kv.key, &decoded);
    if (s.ok() && (decoded.service_name != ref.service || decoded.id != ref.id)) {
      s = Status::Corrupt("its JSON names " + decoded.service_name + "/" + decoded.id + ", its key " + ref.service +
                          "/" + ref.id);
    }
    if (!s.ok()) WarnSkipped(event.kv.key, revision, s.message());
  }
  if (event.deleted || !s.ok()) {
    // A record that stopped decoding is gone for readers, as a deleted one.
    if (existing == service->instances.end() || !ours) return;
    Instance last = std::move(existing->second.instance);
    service->instances.erase(existing);
    report(EventType::kDelete, std::move(last));
    return;
  }
  decoded.version = revision;
  decoded.data_version = event.kv.version;
  const EventType type = existing == service->instances.end() ? EventType::kCreate : EventType::kModify;
  service->instances[ref.id] = InstanceRecord{event.kv.key, decoded};
  report(type, std::move(decoded));
}

void Mirror::ApplyProperty(ServiceState* service, const Layout::Ref& ref, const KvEvent& event,
                           std::vector<WatchEvent>* emit) {
  const int64_t revision = event.kv.mod_revision;
  const bool had = service->property.has_value();
  const bool ours = had && service->property->key == event.kv.key;
  if (had && !ours && !CanonicalKey(event.kv.key)) return;
  auto report = [&](EventType type, Property property) {
    service->version = std::max(service->version, revision);
    if (service->built) retired_.push_back(std::move(service->built));
    if (emit != nullptr) emit->push_back(PropertyEvent(type, std::move(property), revision));
  };
  Property decoded;
  Status s;
  if (!event.deleted) {
    s = format::DecodeProperty(event.kv.value, event.kv.key, &decoded);
    if (s.ok() && decoded.service_name.empty()) decoded.service_name = ref.service;
    if (s.ok() && decoded.service_name != ref.service) {
      s = Status::Corrupt("its JSON names service " + decoded.service_name + ", its key " + ref.service);
    }
    if (!s.ok()) WarnSkipped(event.kv.key, revision, s.message());
  }
  if (event.deleted || !s.ok()) {
    if (!ours) return;
    Property last = std::move(service->property->property);
    service->property.reset();
    report(EventType::kDelete, std::move(last));
    return;
  }
  decoded.version = revision;
  decoded.data_version = event.kv.version;
  service->property = PropertyRecord{event.kv.key, decoded};
  report(had ? EventType::kModify : EventType::kCreate, std::move(decoded));
}

bool Mirror::MatchesTarget(const std::string& key) const {
  auto want = target_.find(key);
  auto have = pending_->keys.find(key);
  if (want == target_.end()) return have == pending_->keys.end();
  return have != pending_->keys.end() && have->second == want->second;
}

void Mirror::CountMismatches() {
  mismatches_ = 0;
  for (const auto& [key, revision] : target_) mismatches_ += MatchesTarget(key) ? 0 : 1;
  for (const auto& [key, revision] : pending_->keys) mismatches_ += target_.count(key) ? 0 : 1;
}

void Mirror::OnEvents(std::vector<KvEvent> events, int64_t through) {
  std::vector<std::shared_ptr<const Service>> retired;  // freed after the lock
  std::lock_guard<std::mutex> lock(mu_);
  last_event_ = Clock::now();
  last_error_ = Status::OK();
  if (pending_ != nullptr) {
    for (const KvEvent& e : events) {
      const bool matched = MatchesTarget(e.kv.key);
      Apply(pending_.get(), e, nullptr);
      const bool matches = MatchesTarget(e.kv.key);
      if (matched && !matches) ++mismatches_;
      if (!matched && matches) --mismatches_;
    }
    pending_->through = through;
    replay_batch_full_ = Revisions(events) >= kFullReplayRound;
    MaybePromote();
    retired.swap(retired_);
    return;
  }
  std::vector<WatchEvent> emit;
  for (const KvEvent& e : events) Apply(&state_, e, &emit);
  state_.through = through;
  Emit(emit);
  cv_.notify_all();
  retired.swap(retired_);
}

void Mirror::OnWake() {
  std::lock_guard<std::mutex> lock(mu_);
  if (pending_ != nullptr) MaybePromote();
}

void Mirror::MaybePromote() {
  const bool passed = pending_->through >= target_revision_;
  const bool quiet = mismatches_ == 0 && !replay_batch_full_ && Clock::now() - last_event_ >= kQuiet;
  if (!passed && !quiet) return;
  if (!live_) {
    state_ = std::move(*pending_);
    live_ = true;
  } else {
    SwapInRebuilt();
  }
  pending_.reset();
  target_.clear();
  cv_.notify_all();
}

void Mirror::SwapInRebuilt() {
  std::vector<WatchEvent> emit;
  State& now = *pending_;
  // Services the rebuild no longer has stay, emptied: their records went
  // while the watch could not see it.
  for (auto& [name, old] : state_.services) {
    if (!now.services.count(name)) now.services.emplace(name, ServiceState{{}, std::nullopt, old.version, nullptr});
  }
  for (auto& [name, service] : now.services) {
    auto before_it = state_.services.find(name);
    ServiceState empty;
    ServiceState& before = before_it == state_.services.end() ? empty : before_it->second;
    std::vector<WatchEvent> changes;
    for (const auto& [id, record] : before.instances) {
      auto after = service.instances.find(id);
      if (after == service.instances.end()) {
        changes.push_back(InstanceEvent(EventType::kDelete, record.instance, 0));
      } else if (after->second.instance.version != record.instance.version) {
        changes.push_back(InstanceEvent(EventType::kModify, after->second.instance, 0));
      }
    }
    for (const auto& [id, record] : service.instances) {
      if (!before.instances.count(id)) changes.push_back(InstanceEvent(EventType::kCreate, record.instance, 0));
    }
    if (before.property && !service.property) {
      changes.push_back(PropertyEvent(EventType::kDelete, before.property->property, 0));
    } else if (service.property &&
               (!before.property || before.property->property.version != service.property->property.version)) {
      changes.push_back(PropertyEvent(before.property ? EventType::kModify : EventType::kCreate,
                                      service.property->property, 0));
    }
    if (changes.empty()) {
      service.version = before.version;
      continue;
    }
    // What changed unseen changed by the compaction's revision at the latest.
    service.version = std::max({service.version, rebuild_floor_, before.version + 1});
    for (WatchEvent& e : changes) {
      e.version = service.version;
      emit.push_back(std::move(e));
    }
  }
  state_ = std::move(now);
  Emit(emit);
}

int64_t Mirror::OnCompacted(int64_t compact_revision) {
  // Read the state at the compaction revision (the oldest etcd keeps), and
  // the range to reach, outside the lock: the mirror serves meanwhile.
  const std::string prefix = layout_.Prefix();
  const Clock::time_point deadline = Clock::now() + options_.timeout;
  std::vector<KeyValue> seed;
  int64_t seed_at = 0;
  Status s = kv_->Range("etcd: reading the registry under " + prefix + " at the compaction revision", prefix,
                        Layout::PrefixEnd(prefix), compact_revision, false, &seed, &seed_at, deadline);
  std::vector<KeyValue> keys;
  int64_t at = 0;
  if (s.ok()) {
    s = kv_->Range("etcd: reading the registry under " + prefix, prefix, Layout::PrefixEnd(prefix), 0, true, &keys,
                   &at, deadline);
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (!s.ok()) {
    last_error_ = s;
    return 0;  // the loop tries again; a newer compaction answers with its own revision
  }
  if (live_) {
    log_.Warn("etcd: the watch of " + prefix + " must go on from revision " + std::to_string(state_.through + 1) +
              ", compacted away (etcd keeps from " + std::to_string(compact_revision) +
              "); reading the registry again and reporting what changed");
  }
  pending_ = std::make_unique<State>();
  for (const KeyValue& kv : seed) {
    KvEvent e;
    e.kv = kv;
    Apply(pending_.get(), e, nullptr);
  }
  pending_->through = compact_revision;
  target_.clear();
  for (const KeyValue& kv : keys) target_[kv.key] = kv.mod_revision;
  target_revision_ = at;
  rebuild_floor_ = compact_revision;
  CountMismatches();
  replay_batch_full_ = false;
  last_event_ = Clock::now();
  MaybePromote();
  return compact_revision + 1;
}

void Mirror::OnBroken(const Status& why) {
  std::lock_guard<std::mutex> lock(mu_);
  last_error_ = why;
  log_.Warn(why.message() + "; watching again from revision " +
            std::to_string((pending_ ? pending_->through : state_.through) + 1) + " on the next endpoint");
  if (!sinks_.empty()) {
    Emit({ErrorEvent(why.message() + "; the watch goes on once etcd answers, and reports what changed meanwhile")});
  }
}

}  // namespace etcd
}  // namespace kreg
