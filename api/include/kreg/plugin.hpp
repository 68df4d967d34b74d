// The plugin-author side: write a backend as a C++ class, then expose it
// through the C ABI with one line:
//
//   class MyBackend : public kreg::plugin::Backend {
//    public:
//     static kreg::Status Create(const kreg::plugin::Config& config,
//                                std::unique_ptr<kreg::plugin::Backend>* out);
//     ... the operations ...
//   };
//   KREG_DEFINE_PLUGIN("mine", "one line about it", MyBackend)
//
// The helper validates names before any backend call, turns exceptions into
// KREG_INTERNAL, and runs each watch's callbacks on a dispatcher thread of
// its own so that the cancel rules of kreg.h hold for every backend.
#ifndef KREG_PLUGIN_HPP_
#define KREG_PLUGIN_HPP_

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "kreg/kreg.h"
#include "kreg/status.hpp"
#include "kreg/types.hpp"
#include "kreg/validate.hpp"
#include "kreg/views.hpp"

namespace kreg {
namespace plugin {

// The host's log sink. Thread-safe; cheap to copy.
class Logger {
 public:
  Logger() { sink_.min_level = KREG_LOG_OFF; }
  explicit Logger(const kreg_log_sink& sink) : sink_(sink) {
    if (sink_.log == nullptr) sink_.min_level = KREG_LOG_OFF;
  }

  bool enabled(kreg_log_level level) const { return level >= sink_.min_level && level < KREG_LOG_OFF; }
  void Log(kreg_log_level level, std::string_view message) const {
    if (enabled(level)) sink_.log(sink_.user_data, level, ToStr(message));
  }
  void Trace(std::string_view m) const { Log(KREG_LOG_TRACE, m); }
  void Debug(std::string_view m) const { Log(KREG_LOG_DEBUG, m); }
  void Info(std::string_view m) const { Log(KREG_LOG_INFO, m); }
  void Warn(std::string_view m) const { Log(KREG_LOG_WARN, m); }
  void Error(std::string_view m) const { Log(KREG_LOG_ERROR, m); }

 private:
  kreg_log_sink sink_{};
};

// kreg_init_options as owning C++ values.
struct Config {
  std::vector<std::string> addrs;
  std::chrono::milliseconds timeout{0};  // 0: use the backend's default
  std::string root;
  std::string username;
  std::string password;  // never log it
  StringMap options;     // backend-specific, values as strings
  Logger log;
};

// Where a backend delivers the events of one watch. Push may be called from
// any thread; events reach the host's callback in push order, one at a
// time, on the sink's own dispatcher thread. After the watch is cancelled
// Push drops its event, so a producer need not race with cancellation.
class EventSink : public std::enable_shared_from_this<EventSink> {
 public:
  EventSink(kreg_watch_fn fn, void* user_data) : fn_(fn), user_data_(user_data) {}
  EventSink(const EventSink&) = delete;
  EventSink& operator=(const EventSink&) = delete;

  void Push(WatchEvent event) {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return;
    queue_.push_back(std::move(event));
    cv_.notify_one();
  }

  bool closed() const {
    std::lock_guard<std::mutex> lock(mu_);
    return closed_;
  }

  // Used by the helper, not by backends.
  void Start() {
    std::shared_ptr<EventSink> self = shared_from_this();
    thread_ = std::thread([self] { self->Run(); });
  }

  // Stops delivery. From the dispatcher thread itself (a callback cancelling
  // its own watch) it returns at once and the thread ends after the
  // callback; from any other thread it waits for the thread to end.
  void Close() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      closed_ = true;
      cv_.notify_one();
    }
    if (!thread_.joinable()) return;
    if (std::this_thread::get_id() == thread_.get_id()) {
      thread_.detach();  // Run holds a reference to this sink until it ends
    } else {
      thread_.join();
    }
  }

 private:
  // A backlog this long (a large initial state, typically) is freed in
  // many small pieces that glibc's allocator keeps resident after the
  // queue drains; once it has, the dispatcher hands them back.
  static constexpr size_t kReleaseAfterBacklog = 10000;

  static void ReleaseFreeMemory() {
#if defined(__GLIBC__)
    malloc_trim(0);
#endif
  }

  void Run() {
    std::unique_lock<std::mutex> lock(mu_);
    size_t backlog = 0;
    for (;;) {
      cv_.wait(lock, [this] { return closed_ || !queue_.empty(); });
      if (closed_) return;
      backlog = std::max(backlog, queue_.size());
      WatchEvent event = std::move(queue_.front());
      queue_.pop_front();
      const bool drained = queue_.empty();
      lock.unlock();
      {
        WatchEventView view(event);
        fn_(user_data_, view.get());
      }
      if (drained && backlog >= kReleaseAfterBacklog) {
        event = WatchEvent();
        ReleaseFreeMemory();
        backlog = 0;
      }
      lock.lock();
    }
  }

  const kreg_watch_fn fn_;
  void* const user_data_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<WatchEvent> queue_;
  bool closed_ = false;
  std::thread thread_;
};

// What produces a watch's events. Destroying it must stop production and
// return only when the backend will not touch the sink again (join its
// threads, remove its registrations).
class WatchSource {
 public:
  virtual ~WatchSource() = default;
};

// A backend. All methods may be called concurrently from any thread (the
// kreg.h contract); names are validated before they are called.
class Backend {
 public:
  virtual ~Backend() = default;

  // The fast path of a keepalive, tried before Register for every register
  // call without refresh: when this backend holds a live instance
  // (service_name, id), renew its lease and return true; otherwise return
  // false and Register runs. Names are not yet validated here, and the
  // views die with the call. The default always falls through.
  virtual bool Renew(std::string_view service_name, std::string_view id, std::chrono::milliseconds ttl) {
    (void)service_name;
    (void)id;
    (void)ttl;
    return false;
  }
  virtual Status Register(const Instance& instance, const RegisterOptions& options) = 0;
  virtual Status Deregister(const std::string& service_name, const std::string& id) = 0;
  virtual Status GetService(const std::string& service_name, Service* out) = 0;
  // GetService as a shared snapshot the backend may keep and hand out
  // again: a backend with a cache overrides it to answer without a copy.
  // The default reads through GetService.
  virtual Status GetServiceSnapshot(const std::string& service_name, std::shared_ptr<const Service>* out) {
    auto service = std::make_shared<Service>();
    Status s = GetService(service_name, service.get());
    if (s.ok()) *out = std::move(service);
    return s;
  }
  // GetServiceSnapshot for a caller that holds the service at
  // `known_version` (0: none): *unchanged is true, and *out left alone, only
  // when the service is still what the caller holds. The default compares
  // versions; a backend whose reads can differ at one version overrides it.
  virtual Status GetServiceSince(const std::string& service_name, int64_t known_version, bool* unchanged,
                                 std::shared_ptr<const Service>* out) {
    Status s = GetServiceSnapshot(service_name, out);
    *unchanged = s.ok() && known_version != 0 && (*out)->version == known_version;
    return s;
  }
  virtual Status ListServices(std::vector<Service>* out) = 0;
  virtual Status SetProperty(const Property& property) = 0;
  // Push the initial state as CREATE events, then a SYNCED event, then
  // live changes into `sink`, until *source is destroyed.
  virtual Status Watch(std::shared_ptr<EventSink> sink, std::unique_ptr<WatchSource>* source) = 0;
};

using BackendFactory = Status (*)(const Config& config, std::unique_ptr<Backend>* out);

namespace internal {

struct BackendHandle {
  std::unique_ptr<Backend> backend;
  const char* type;
};

struct WatchHandle {
  std::shared_ptr<EventSink> sink;
  std::unique_ptr<WatchSource> source;
};

inline BackendHandle* Handle(kreg_backend* b) { return reinterpret_cast<BackendHandle*>(b); }

inline kreg_status Fail(const Status& s, char* err, size_t err_size) {
  if (err != nullptr && err_size > 0) {
    size_t n = std::min(s.message().size(), err_size - 1);
    std::memcpy(err, s.message().data(), n);
    err[n] = '\0';
  }
  return s.code();
}

inline kreg_status Finish(const Status& s, char* err, size_t err_size) {
  return s.ok() ? KREG_OK : Fail(s, err, err_size);
}

// Runs `body`, turning an escaping exception into KREG_INTERNAL: no C++
// exception may cross the C ABI.
template <typename Body>
kreg_status Guard(char* err, size_t err_size, Body body) {
  try {
    return Finish(body(), err, err_size);
  } catch (const std::exception& e) {
    return Fail(Status::Internal(std::string("plugin threw: ") + e.what()), err, err_size);
  } catch (...) {
    return Fail(Status::Internal("plugin threw an unknown exception"), err, err_size);
  }
}

inline kreg_status Create(const char* type, BackendFactory factory, const kreg_init_options* o,
                          kreg_backend** out, char* err, size_t err_size) {
  return Guard(err, err_size, [&]() -> Status {
    Config config;
    for (size_t i = 0; i < o->addrs_count; ++i) config.addrs.push_back(ToString(o->addrs[i]));
    config.timeout = std::chrono::milliseconds(o->timeout_ms > 0 ? o->timeout_ms : 0);
    config.root = ToString(o->root);
    config.username = ToString(o->username);
    config.password = ToString(o->password);
    config.options = ToStringMap(o->options, o->options_count);
    config.log = Logger(o->log);
    auto handle = std::make_unique<BackendHandle>();
    handle->type = type;
    Status s = factory(config, &handle->backend);
    if (s.ok()) *out = reinterpret_cast<kreg_backend*>(handle.release());
    return s;
  });
}

inline void Destroy(kreg_backend* b) { delete Handle(b); }

inline const char* Type(kreg_backend* b) { return Handle(b)->type; }

inline kreg_status RegisterInstance(kreg_backend* b, const kreg_instance* instance,
                                    const kreg_register_options* options, char* err,
                                    size_t err_size) {
  return Guard(err, err_size, [&]() -> Status {
    RegisterOptions opts;
    if (options != nullptr) {
      if (options->ttl_ms > 0) opts.ttl = std::chrono::milliseconds(options->ttl_ms);
      opts.refresh = options->refresh != 0;
    }
    Backend* backend = Handle(b)->backend.get();
    std::string_view service(instance->service_name.data, instance->service_name.size);
    std::string_view id(instance->id.data, instance->id.size);
    // Keepalives are the hot path (every instance, every few seconds): no
    // copy of the instance unless the backend needs one.
    if (!opts.refresh && backend->Renew(service, id, opts.ttl)) return Status::OK();
    Instance value = ToValue(*instance);
    Status s = ValidateInstanceKey(value.service_name, value.id);
    if (s.ok()) s = ValidateInstanceText(value);
    if (!s.ok()) return s;
    return backend->Register(value, opts);
  });
}

inline kreg_status DeregisterInstance(kreg_backend* b, const kreg_instance* instance, char* err,
                                      size_t err_size) {
  return Guard(err, err_size, [&]() -> Status {
    std::string service = ToString(instance->service_name);
    std::string id = ToString(instance->id);
    Status s = ValidateInstanceKey(service, id);
    if (!s.ok()) return s;
    return Handle(b)->backend->Deregister(service, id);
  });
}

inline kreg_status GetServiceSince(kreg_backend* b, kreg_str name, int64_t known_version, int* unchanged,
                                   kreg_service_fn fn, void* user_data, char* err, size_t err_size) {
  *unchanged = 0;
  return Guard(err, err_size, [&]() -> Status {
    std::string service_name = ToString(name);
    Status s = ValidateName("service name", service_name);
    if (!s.ok()) return s;
    std::shared_ptr<const Service> service;
    bool same = false;
    s = Handle(b)->backend->GetServiceSince(service_name, known_version, &same, &service);
    if (!s.ok()) return s;
    if (same) {
      *unchanged = 1;
      return Status::OK();
    }
    ServiceView view(*service);
    fn(user_data, view.get());
    return Status::OK();
  });
}

inline kreg_status GetService(kreg_backend* b, kreg_str name, kreg_service_fn fn, void* user_data,
                              char* err, size_t err_size) {
  int unchanged;
  return GetServiceSince(b, name, 0, &unchanged, fn, user_data, err, err_size);
}

inline kreg_status ListServices(kreg_backend* b, kreg_service_fn fn, void* user_data, char* err,
                                size_t err_size) {
  return Guard(err, err_size, [&]() -> Status {
    std::vector<Service> services;
    Status s = Handle(b)->backend->ListServices(&services);
    if (!s.ok()) return s;
    for (const Service& service : services) {
      ServiceView view(service);
      fn(user_data, view.get());
    }
    return Status::OK();
  });
}

inline kreg_status SetProperty(kreg_backend* b, const kreg_property* property, char* err,
                               size_t err_size) {
  return Guard(err, err_size, [&]() -> Status {
    Property value = ToValue(*property);
    Status s = ValidateName("service name", value.service_name);
    for (const auto& [id, attrs] : value.attrs) {
      if (s.ok()) s = ValidateName("instance id in attrs", id);
    }
    if (s.ok()) s = ValidatePropertyText(value);
    if (!s.ok()) return s;
    return Handle(b)->backend->SetProperty(value);
  });
}

inline kreg_status StartWatch(kreg_backend* b, kreg_watch_fn fn, void* user_data, kreg_watch** out,
                              char* err, size_t err_size) {
  return Guard(err, err_size, [&]() -> Status {
    auto handle = std::make_unique<WatchHandle>();
    handle->sink = std::make_shared<EventSink>(fn, user_data);
    Status s = Handle(b)->backend->Watch(handle->sink, &handle->source);
    // Delivery starts only once the watch exists: a failed watch never
    // calls back (kreg.h), so its queued events are dropped with the sink.
    if (!s.ok()) return s;
    handle->sink->Start();
    *out = reinterpret_cast<kreg_watch*>(handle.release());
    return Status::OK();
  });
}

inline void CancelWatch(kreg_watch* w) {
  std::unique_ptr<WatchHandle> handle(reinterpret_cast<WatchHandle*>(w));
  // Close first so nothing more is delivered, then stop the producer.
  handle->sink->Close();
  handle->source.reset();
}

inline kreg_plugin MakeTable(const char* name, const char* description,
                             kreg_status (*create)(const kreg_init_options*, kreg_backend**, char*,
                                                   size_t)) {
  kreg_plugin t{};
  t.struct_size = sizeof(t);
  t.abi_major = KREG_ABI_VERSION_MAJOR;
  t.abi_minor = KREG_ABI_VERSION_MINOR;
  t.name = name;
  t.description = description;
  t.create = create;
  t.destroy = &Destroy;
  t.type = &Type;
  t.register_instance = &RegisterInstance;
  t.deregister_instance = &DeregisterInstance;
  t.get_service = &GetService;
  t.list_services = &ListServices;
  t.watch = &StartWatch;
  t.watch_cancel = &CancelWatch;
  t.set_property = &SetProperty;
  t.get_service_since = &GetServiceSince;
  return t;
}

inline kreg_status Negotiate(const kreg_host_info* host, const kreg_plugin* table,
                             const kreg_plugin** out, char* err, size_t err_size) {
  if (host == nullptr || host->abi_major != KREG_ABI_VERSION_MAJOR) {
    return Fail(Status::Incompatible(
                    "plugin \"" + std::string(table->name) + "\" speaks kreg ABI " +
                    std::to_string(KREG_ABI_VERSION_MAJOR) + ".x, the host offers " +
                    (host == nullptr ? std::string("nothing") : std::to_string(host->abi_major) + ".x") +
                    "; rebuild the plugin against the host's kreg.h"),
                err, err_size);
  }
  *out = table;
  return KREG_OK;
}

}  // namespace internal
}  // namespace plugin
}  // namespace kreg

// Defines the plugin's exported entry point for backend class CLASS, which
// has `static kreg::Status Create(const kreg::plugin::Config&,
// std::unique_ptr<kreg::plugin::Backend>*)`. Use once per plugin library.
#define KREG_DEFINE_PLUGIN(NAME, DESCRIPTION, CLASS)                                             \
  static kreg_status kreg_plugin_create_(const kreg_init_options* options, kreg_backend** out,   \
                                         char* err, size_t err_size) {                           \
    return ::kreg::plugin::internal::Create(NAME, &CLASS::Create, options, out, err, err_size);  \
  }                                                                                              \
  extern "C" KREG_PLUGIN_EXPORT kreg_status kreg_plugin_entry(                                   \
      const kreg_host_info* host, const kreg_plugin** out, char* err, size_t err_size) {         \
    static const kreg_plugin table =                                                             \
        ::kreg::plugin::internal::MakeTable(NAME, DESCRIPTION, &kreg_plugin_create_);            \
    return ::kreg::plugin::internal::Negotiate(host, &table, out, err, err_size);                \
  }

#endif  // KREG_PLUGIN_HPP_
