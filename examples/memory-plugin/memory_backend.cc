// An in-memory kreg backend: the smallest complete example of a plugin. It
// passes the whole conformance kit (kreg-conformance), TTL expiry and
// watches included.
//
// A registry is shared state (api/CONTRACT.md): every backend this process
// creates with the same `name` option (default "default") uses one store,
// as every ZooKeeper backend of one ensemble does. The store lives while a
// backend or a watch of it does, and nothing of it leaves the process. Its
// versions come from one process-wide counter, so a store made again never
// hands out a version that went before.
//
// The data model is kreg's (kreg/json_format.hpp, kreg/data_model.hpp,
// kreg/events.hpp): the size limit, the times, the property merge and the
// events are used from there, not written again here.
#include <kreg/data_model.hpp>
#include <kreg/events.hpp>
#include <kreg/json_format.hpp>
#include <kreg/plugin.hpp>

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace {

using kreg::EventType;
using kreg::Status;
using Clock = std::chrono::steady_clock;

// Every change of every store of this process gets the next version.
int64_t NextVersion() {
  static std::atomic<int64_t> last{0};
  return ++last;
}

struct Entry {
  kreg::Instance instance;
  Clock::time_point expires;
};

struct ServiceState {
  std::map<std::string, Entry> instances;
  kreg::Property property;  // version 0: none set
  int64_t version = 0;
};

// One registry: its services, its watches, and the thread that ends lapsed
// leases. Every member but the thread is guarded by `mu`.
class Store {
 public:
  // The store named `name`, made when no backend of this process holds it.
  static std::shared_ptr<Store> Open(const std::string& name) {
    static std::mutex open_mu;
    static std::map<std::string, std::weak_ptr<Store>> stores;
    std::lock_guard<std::mutex> lock(open_mu);
    std::shared_ptr<Store> store = stores[name].lock();
    if (store == nullptr) stores[name] = store = std::make_shared<Store>();
    return store;
  }

  Store() : reaper_([this] { ReapExpired(); }) {}
  ~Store() {
    {
      std::lock_guard<std::mutex> lock(mu);
      stopping_ = true;
    }
    cv.notify_all();
    reaper_.join();
  }

  void PublishLocked(const kreg::WatchEvent& event) {
    for (const auto& sink : sinks) sink->Push(event);
  }

  void RemoveLocked(const std::string& service_name, const std::string& id) {
    auto service = services.find(service_name);
    if (service == services.end()) return;
    auto entry = service->second.instances.find(id);
    if (entry == service->second.instances.end()) return;
    // The service stays, empty, as a ZooKeeper service znode does.
    service->second.version = NextVersion();
    PublishLocked(kreg::InstanceEvent(EventType::kDelete, std::move(entry->second.instance), service->second.version));
    service->second.instances.erase(entry);
  }

  std::mutex mu;
  std::condition_variable cv;  // a lease was taken: the reaper may need to wake earlier
  std::map<std::string, ServiceState> services;
  std::set<std::shared_ptr<kreg::plugin::EventSink>> sinks;

 private:
  void ReapExpired() {
    std::unique_lock<std::mutex> lock(mu);
    while (!stopping_) {
      const Clock::time_point now = Clock::now();
      Clock::time_point next = now + std::chrono::seconds(1);
      std::vector<std::pair<std::string, std::string>> expired;
      for (const auto& [name, service] : services) {
        for (const auto& [id, entry] : service.instances) {
          if (entry.expires <= now) expired.emplace_back(name, id);
          else next = std::min(next, entry.expires);
        }
      }
      for (const auto& [name, id] : expired) RemoveLocked(name, id);
      cv.wait_until(lock, next);
    }
  }

  bool stopping_ = false;
  std::thread reaper_;  // last: started after the members it uses
};

class Subscription : public kreg::plugin::WatchSource {
 public:
  Subscription(std::shared_ptr<Store> store, std::shared_ptr<kreg::plugin::EventSink> sink)
      : store_(std::move(store)), sink_(std::move(sink)) {}
  ~Subscription() override {
    std::lock_guard<std::mutex> lock(store_->mu);
    store_->sinks.erase(sink_);
  }

 private:
  std::shared_ptr<Store> store_;
  std::shared_ptr<kreg::plugin::EventSink> sink_;
};

class MemoryBackend : public kreg::plugin::Backend {
 public:
  static Status Create(const kreg::plugin::Config& config, std::unique_ptr<kreg::plugin::Backend>* out) {
    std::string name = "default";
    for (const auto& [key, value] : config.options) {
      if (key != "name") return Status::InvalidArgument("memory: unknown option \"" + key + "\" (it takes only name)");
      name = value;
    }
    out->reset(new MemoryBackend(Store::Open(name)));
    return Status::OK();
  }

  Status Register(const kreg::Instance& instance, const kreg::RegisterOptions& options) override {
    const Clock::time_point expires = Clock::now() + options.ttl;
    std::lock_guard<std::mutex> lock(store_->mu);
    Entry* old = Find(instance.service_name, instance.id);
    if (old != nullptr && !options.refresh) {
      old->expires = expires;  // a keepalive writes nothing else
      return Status::OK();
    }
    kreg::Instance stored = instance;
    kreg::FillTimes(kreg::UnixSeconds(), old != nullptr ? old->instance.reg_time : 0, &stored);
    std::string json;  // only its size matters here: nothing is written out
    Status s = kreg::format::EncodeStored(stored, &json);
    if (!s.ok()) return s;
    stored.data_version = old != nullptr ? old->instance.data_version + 1 : 1;
    ServiceState& service = store_->services[instance.service_name];
    stored.version = service.version = NextVersion();
    const EventType type = old != nullptr ? EventType::kModify : EventType::kCreate;
    store_->PublishLocked(kreg::InstanceEvent(type, stored, service.version));
    service.instances[instance.id] = Entry{std::move(stored), expires};
    store_->cv.notify_all();
    return Status::OK();
  }

  Status Deregister(const std::string& service_name, const std::string& id) override {
    std::lock_guard<std::mutex> lock(store_->mu);
    store_->RemoveLocked(service_name, id);
    return Status::OK();
  }

  Status GetService(const std::string& service_name, kreg::Service* out) override {
    std::lock_guard<std::mutex> lock(store_->mu);
    auto it = store_->services.find(service_name);
    if (it == store_->services.end()) return Status::NotFound("service \"" + service_name + "\" does not exist");
    *out = ToService(service_name, it->second);
    return Status::OK();
  }

  Status ListServices(std::vector<kreg::Service>* out) override {
    std::lock_guard<std::mutex> lock(store_->mu);
    for (const auto& [name, service] : store_->services) out->push_back(ToService(name, service));
    return Status::OK();
  }

  Status SetProperty(const kreg::Property& property) override {
    std::string json;
    Status s = kreg::format::EncodeStored(property, &json);
    if (!s.ok()) return s;
    std::lock_guard<std::mutex> lock(store_->mu);
    ServiceState& service = store_->services[property.service_name];
    const EventType type = service.property.version != 0 ? EventType::kModify : EventType::kCreate;
    kreg::Property stored = property;
    stored.data_version = service.property.data_version + 1;
    stored.version = service.version = NextVersion();
    service.property = stored;
    store_->PublishLocked(kreg::PropertyEvent(type, std::move(stored), service.version));
    return Status::OK();
  }

  Status Watch(std::shared_ptr<kreg::plugin::EventSink> sink,
               std::unique_ptr<kreg::plugin::WatchSource>* source) override {
    std::lock_guard<std::mutex> lock(store_->mu);
    // Snapshot and subscription under one lock: no change falls between.
    // The snapshot brings each service to its current state, so its events
    // carry the service's version (api/CONTRACT.md "Versions").
    for (const auto& [name, service] : store_->services) {
      for (const auto& [id, entry] : service.instances) {
        sink->Push(kreg::InstanceEvent(EventType::kCreate, entry.instance, service.version));
      }
      if (service.property.version != 0) {
        sink->Push(kreg::PropertyEvent(EventType::kCreate, service.property, service.version));
      }
    }
    sink->Push(kreg::SyncedEvent());
    store_->sinks.insert(sink);
    source->reset(new Subscription(store_, std::move(sink)));
    return Status::OK();
  }

 private:
  explicit MemoryBackend(std::shared_ptr<Store> store) : store_(std::move(store)) {}

  Entry* Find(const std::string& service_name, const std::string& id) {
    auto service = store_->services.find(service_name);
    if (service == store_->services.end()) return nullptr;
    auto entry = service->second.instances.find(id);
    return entry == service->second.instances.end() ? nullptr : &entry->second;
  }

  static kreg::Service ToService(const std::string& name, const ServiceState& state) {
    kreg::Service s;
    s.service_name = name;
    s.version = state.version;
    for (const auto& [id, entry] : state.instances) kreg::AddInstance(entry.instance, &s);
    kreg::format::MergeProperty(state.property, &s);
    return s;
  }

  const std::shared_ptr<Store> store_;
};

}  // namespace

KREG_DEFINE_PLUGIN("memory", "in-memory backend, shared by one process's backends of one name (example)",
                   MemoryBackend)
