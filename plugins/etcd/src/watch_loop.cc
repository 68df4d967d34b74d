#include "watch_loop.h"

#include <algorithm>

#include "base64.h"

namespace kreg {
namespace etcd {

using std::chrono::milliseconds;

size_t Revisions(const std::vector<KvEvent>& events) {
  size_t n = 0;
  int64_t last = -1;
  for (const KvEvent& e : events) {
    if (e.kv.mod_revision != last) ++n;
    last = e.kv.mod_revision;
  }
  return n;
}

WatchLoop::WatchLoop(HttpClient* http, std::string key, std::string range_end, bool deletes_only,
                     const Options& options, plugin::Logger log, Handler* handler)
    : http_(http),
      key_(std::move(key)),
      range_end_(std::move(range_end)),
      deletes_only_(deletes_only),
      options_(options),
      log_(std::move(log)),
      handler_(handler),
      stream_(http->NewStream()) {}

WatchLoop::~WatchLoop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  stream_->Interrupt();
  if (thread_.joinable()) thread_.join();
}

void WatchLoop::Start(int64_t start_revision) {
  thread_ = std::thread([this, start_revision] { Run(start_revision); });
}

void WatchLoop::Sleep(milliseconds d) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, d, [this] { return stopping_; });
}

void WatchLoop::Run(int64_t next) {
  size_t endpoint = http_->preferred_endpoint();
  milliseconds backoff(100);
  bool broken = false;
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return;
    }
    int64_t compacted = 0;
    Status why;
    bool answered = Watch(endpoint, &next, &compacted, &why);
    if (compacted > 0) {
      int64_t from = handler_->OnCompacted(compacted);
      if (from > 0) {
        next = from;
        continue;
      }
      Sleep(backoff);
      continue;
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return;
    }
    if (answered) {
      backoff = milliseconds(100);
      broken = false;
    }
    if (why.code() == KREG_TIMEOUT) {
      // Idle, not broken: etcd's progress notifications may be minutes apart.
      log_.Debug(why.message() + "; opening it again from revision " + std::to_string(next));
      ++endpoint;
      continue;
    }
    if (!why.ok() && !broken) {
      handler_->OnBroken(why);
      broken = true;
    }
    ++endpoint;
    Sleep(backoff);
    backoff = std::min(backoff * 2, milliseconds(2000));
  }
}

bool WatchLoop::Watch(size_t endpoint, int64_t* next, int64_t* compacted, Status* why) {
  json create = {{"key", Base64Encode(key_)}, {"range_end", Base64Encode(range_end_)}, {"progress_notify", true}};
  if (*next > 0) create["start_revision"] = std::to_string(*next);
  if (deletes_only_) create["filters"] = json::array({"NOPUT"});
  json request = {{"create_request", create}};
  auto on_message = [&](const json& message) {
    auto error = message.find("error");
    if (error != message.end()) {
      *why = Status::Unavailable("etcd watch on " + http_->endpoint(endpoint) + ": " +
                                 (error->is_object() ? error->value("message", error->dump()) : error->dump()));
      return false;
    }
    auto result_it = message.find("result");
    if (result_it == message.end()) return true;
    const json& result = *result_it;
    if (result.value("canceled", false)) {
      *compacted = Int64Field(result, "compact_revision");
      if (*compacted == 0) {
        *why = Status::Unavailable("etcd watch on " + http_->endpoint(endpoint) + " was cancelled: " +
                                   result.value("cancel_reason", std::string("no reason given")));
      }
      return false;
    }
    handler_->OnWake();
    if (*next == 0 && result.value("created", false)) {
      // Watching from "now": a stream opened again must go on from here.
      auto header = result.find("header");
      if (header != result.end()) *next = Int64Field(*header, "revision") + 1;
    }
    std::vector<KvEvent> events;
    for (const json& e : result.value("events", json::array())) {
      KvEvent event;
      event.deleted = e.value("type", "PUT") == "DELETE";
      auto kv = e.find("kv");
      if (kv == e.end() || !KeyValueFromJson(*kv, &event.kv)) {
        log_.Warn("etcd watch: skipped an event whose key or value is not base64");
        continue;
      }
      events.push_back(std::move(event));
    }
    int64_t through = 0;
    auto header = result.find("header");
    const int64_t header_revision = header == result.end() ? 0 : Int64Field(*header, "revision");
    if (!events.empty()) {
      through = events.back().kv.mod_revision;
      // etcd replays a history in rounds of at most 1000 revisions; a round
      // with fewer has caught up with the revision its header names.
      if (Revisions(events) < kFullReplayRound) through = std::max(through, header_revision);
    } else if (!result.value("created", false)) {
      // A progress notification: everything up to the header's revision is delivered.
      through = header_revision;
    }
    if (through >= *next) {
      *next = through + 1;
      handler_->OnEvents(std::move(events), through);
    }
    return true;
  };
  bool answered = false;
  Status s = stream_->Run("/v3/watch", request, endpoint, options_.watch_idle_timeout, on_message,
                          [this] { handler_->OnWake(); }, &answered);
  if (why->ok()) *why = s;
  return answered;
}

}  // namespace etcd
}  // namespace kreg
