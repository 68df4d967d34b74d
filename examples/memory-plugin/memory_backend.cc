// An in-memory kreg backend: the smallest complete example of a plugin.
// State lives in this process only, so it suits tests and demos; every
// operation of kreg.h is implemented, including TTL expiry and watches.
#include <kreg/plugin.hpp>

#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace {

using kreg::Status;
using Clock = std::chrono::steady_clock;

struct Entry {
  kreg::Instance instance;
  Clock::time_point expires;
};

class MemoryBackend : public kreg::plugin::Backend {
 public:
  static Status Create(const kreg::plugin::Config& config, std::unique_ptr<kreg::plugin::Backend>* out) {
    if (!config.options.empty()) {
      return Status::InvalidArgument("the memory backend takes no options (got \"" +
                                     config.options.begin()->first + "\")");
    }
    out->reset(new MemoryBackend());
    return Status::OK();
  }

  ~MemoryBackend() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    reaper_.join();
  }

  Status Register(const kreg::Instance& instance, const kreg::RegisterOptions& options) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto& service = services_[instance.service_name];
    auto it = service.instances.find(instance.id);
    Clock::time_point expires = Clock::now() + options.ttl;
    if (it != service.instances.end() && !options.refresh) {
      it->second.expires = expires;  // keepalive
      return Status::OK();
    }
    kreg::EventType type = it == service.instances.end() ? kreg::EventType::kCreate : kreg::EventType::kModify;
    Entry& e = service.instances[instance.id];
    e.instance = instance;
    e.instance.version = ++revision_;
    e.instance.data_version += 1;
    e.expires = expires;
    service.version = revision_;
    PublishInstance(type, e.instance);
    cv_.notify_all();  // the reaper may need an earlier wake-up
    return Status::OK();
  }

  Status Deregister(const std::string& service_name, const std::string& id) override {
    std::lock_guard<std::mutex> lock(mu_);
    RemoveLocked(service_name, id);
    return Status::OK();
  }

  Status GetService(const std::string& service_name, kreg::Service* out) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = services_.find(service_name);
    if (it == services_.end()) return Status::NotFound("service \"" + service_name + "\" does not exist");
    *out = ToService(service_name, it->second);
    return Status::OK();
  }

  Status ListServices(std::vector<kreg::Service>* out) override {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [name, service] : services_) out->push_back(ToService(name, service));
    return Status::OK();
  }

  Status SetProperty(const kreg::Property& property) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto& service = services_[property.service_name];
    kreg::EventType type = service.has_property ? kreg::EventType::kModify : kreg::EventType::kCreate;
    service.property = property;
    service.property.version = ++revision_;
    service.property.data_version += 1;
    service.has_property = true;
    service.version = revision_;
    Publish(MakePropertyEvent(type, service.property));
    return Status::OK();
  }

  Status Watch(std::shared_ptr<kreg::plugin::EventSink> sink,
               std::unique_ptr<kreg::plugin::WatchSource>* source) override {
    std::lock_guard<std::mutex> lock(mu_);
    // Snapshot and subscription under one lock: no change falls between.
    // A snapshot's events bring each service to its current state, so they
    // carry its version (api/CONTRACT.md "Versions").
    for (const auto& [name, service] : services_) {
      std::vector<kreg::WatchEvent> events;
      for (const auto& [id, e] : service.instances) {
        events.push_back(MakeInstanceEvent(kreg::EventType::kCreate, e.instance));
      }
      if (service.has_property) events.push_back(MakePropertyEvent(kreg::EventType::kCreate, service.property));
      for (kreg::WatchEvent& e : events) {
        e.version = service.version;
        sink->Push(std::move(e));
      }
    }
    sink->Push(kreg::WatchEvent{});  // SYNCED
    sinks_.insert(sink);
    source->reset(new Subscription(this, sink));
    return Status::OK();
  }

 private:
  struct ServiceState {
    std::map<std::string, Entry> instances;
    kreg::Property property;
    bool has_property = false;
    int64_t version = 0;
  };

  class Subscription : public kreg::plugin::WatchSource {
   public:
    Subscription(MemoryBackend* backend, std::shared_ptr<kreg::plugin::EventSink> sink)
        : backend_(backend), sink_(std::move(sink)) {}
    ~Subscription() override {
      std::lock_guard<std::mutex> lock(backend_->mu_);
      backend_->sinks_.erase(sink_);
    }

   private:
    MemoryBackend* backend_;
    std::shared_ptr<kreg::plugin::EventSink> sink_;
  };

  MemoryBackend() : reaper_([this] { ReapExpired(); }) {}

  static kreg::WatchEvent MakeInstanceEvent(kreg::EventType type, const kreg::Instance& instance) {
    kreg::WatchEvent e;
    e.type = type;
    e.info = kreg::EventInfo::kInstance;
    e.service_name = instance.service_name;
    e.instance = instance;
    e.version = instance.version;
    e.data_version = instance.data_version;
    return e;
  }

  static kreg::WatchEvent MakePropertyEvent(kreg::EventType type, const kreg::Property& property) {
    kreg::WatchEvent e;
    e.type = type;
    e.info = kreg::EventInfo::kProperty;
    e.service_name = property.service_name;
    e.property = property;
    e.version = property.version;
    e.data_version = property.data_version;
    return e;
  }

  static kreg::Service ToService(const std::string& name, const ServiceState& state) {
    kreg::Service s;
    s.service_name = name;
    s.version = state.version;
    for (const auto& [id, e] : state.instances) {
      s.instances[e.instance.zone][id] = e.instance;
      s.update_time = std::max(s.update_time, e.instance.update_time);
    }
    // Property merge (kreg's api/CONTRACT.md "Data model"): attrs join instance metadata.
    for (auto& [zone, by_id] : s.instances) {
      for (auto& [id, in] : by_id) {
        auto attrs = state.property.attrs.find(id);
        if (attrs == state.property.attrs.end()) continue;
        for (const auto& [k, v] : attrs->second) in.metadata[k] = v;
      }
    }
    return s;
  }

  void PublishInstance(kreg::EventType type, const kreg::Instance& instance) {
    Publish(MakeInstanceEvent(type, instance));
  }

  void Publish(const kreg::WatchEvent& event) {
    for (const auto& sink : sinks_) sink->Push(event);
  }

  void RemoveLocked(const std::string& service_name, const std::string& id) {
    auto s = services_.find(service_name);
    if (s == services_.end() || s->second.instances.erase(id) == 0) return;
    s->second.version = ++revision_;
    kreg::Instance gone;
    gone.service_name = service_name;
    gone.id = id;
    gone.version = revision_;
    PublishInstance(kreg::EventType::kDelete, gone);
  }

  void ReapExpired() {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stopping_) {
      Clock::time_point now = Clock::now();
      Clock::time_point next = now + std::chrono::seconds(1);
      std::vector<std::pair<std::string, std::string>> expired;
      for (const auto& [name, service] : services_) {
        for (const auto& [id, e] : service.instances) {
          if (e.expires <= now) expired.emplace_back(name, id);
          else next = std::min(next, e.expires);
        }
      }
      for (const auto& [name, id] : expired) RemoveLocked(name, id);
      cv_.wait_until(lock, next);
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  int64_t revision_ = 0;
  std::map<std::string, ServiceState> services_;
  std::set<std::shared_ptr<kreg::plugin::EventSink>> sinks_;
  std::thread reaper_;  // last: started after the members it uses
};

}  // namespace

KREG_DEFINE_PLUGIN("memory", "in-memory backend, one process (example)", MemoryBackend)
