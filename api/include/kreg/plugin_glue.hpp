// The ABI glue behind kreg/plugin.hpp: the C trampolines of a plugin's
// kreg_plugin table, the version negotiation, and the watch dispatcher.
// Header-only on purpose: each plugin carries the glue of the kreg.h it was
// built against — what kreg_plugin_entry's version negotiation assumes —
// and links no kreg library whose ABI could drift from the header's.
// Included by kreg/plugin.hpp; authors need not read it.
#ifndef KREG_PLUGIN_GLUE_HPP_
#define KREG_PLUGIN_GLUE_HPP_

#include <algorithm>
#include <atomic>
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
#include "kreg/plugin.hpp"
#include "kreg/validate.hpp"
#include "kreg/views.hpp"

namespace kreg {
namespace plugin {

namespace internal {

// The EventSink of one watch: a queue drained by the watch's own
// dispatcher thread into the host's callback.
class DispatchingSink : public EventSink, public std::enable_shared_from_this<DispatchingSink> {
 public:
  DispatchingSink(kreg_watch_fn fn, void* user_data) : fn_(fn), user_data_(user_data) {}
  DispatchingSink(const DispatchingSink&) = delete;
  DispatchingSink& operator=(const DispatchingSink&) = delete;

  void Push(WatchEvent event) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (closed_) return;
      queue_.push_back(std::move(event));
    }
    // Woken after the unlock, the dispatcher does not block again at once
    // on the mutex Push still holds.
    cv_.notify_one();
  }

  bool closed() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return closed_;
  }

  void Start() {
    std::shared_ptr<DispatchingSink> self = shared_from_this();
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


struct BackendHandle {
  std::unique_ptr<Backend> backend;
  const char* type;
};

struct WatchHandle {
  std::shared_ptr<DispatchingSink> sink;
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

inline RegisterOptions ToRegisterOptions(const kreg_register_options* options) {
  RegisterOptions opts;
  if (options != nullptr) {
    if (options->ttl_ms > 0) opts.ttl = std::chrono::milliseconds(options->ttl_ms);
    opts.refresh = options->refresh != 0;
  }
  return opts;
}

// Keepalives are the hot path (every instance, every few seconds): no
// copy of the instance unless the backend needs one.
inline bool RenewHeld(Backend* backend, const kreg_instance* instance, const RegisterOptions& opts) {
  std::string_view service(instance->service_name.data, instance->service_name.size);
  std::string_view id(instance->id.data, instance->id.size);
  return !opts.refresh && backend->Renew(service, id, opts.ttl);
}

// The instance as the backend's Register gets it: names and text checked.
inline Status RegisterValue(const kreg_instance* instance, Instance* out) {
  *out = ToValue(*instance);
  Status s = ValidateInstanceKey(out->service_name, out->id);
  if (s.ok()) s = ValidateInstanceText(*out);
  return s;
}

inline kreg_status RegisterInstance(kreg_backend* b, const kreg_instance* instance,
                                    const kreg_register_options* options, char* err,
                                    size_t err_size) {
  return Guard(err, err_size, [&]() -> Status {
    const RegisterOptions opts = ToRegisterOptions(options);
    Backend* backend = Handle(b)->backend.get();
    if (RenewHeld(backend, instance, opts)) return Status::OK();
    Instance value;
    Status s = RegisterValue(instance, &value);
    if (!s.ok()) return s;
    return backend->Register(value, opts);
  });
}

// The host's `done` of one register_instance_async, called at most once:
// not at all when the call that started it failed, even if the backend
// threw after it had handed `done` on.
class RegisterCompletion {
 public:
  RegisterCompletion(kreg_register_done_fn fn, void* user_data) : fn_(fn), user_data_(user_data) {}

  void Deliver(const Status& s) {
    if (!claimed_.exchange(true)) fn_(user_data_, s.code(), ToStr(s.message()));
  }
  // True when `done` has not run and now never will.
  bool Abandon() { return !claimed_.exchange(true); }

 private:
  const kreg_register_done_fn fn_;
  void* const user_data_;
  std::atomic<bool> claimed_{false};
};

inline kreg_status RegisterInstanceAsync(kreg_backend* b, const kreg_instance* instance,
                                         const kreg_register_options* options, kreg_register_done_fn done,
                                         void* user_data, char* err, size_t err_size) {
  return Guard(err, err_size, [&]() -> Status {
    const RegisterOptions opts = ToRegisterOptions(options);
    Backend* backend = Handle(b)->backend.get();
    if (RenewHeld(backend, instance, opts)) {
      done(user_data, KREG_OK, kreg_str{nullptr, 0});
      return Status::OK();
    }
    Instance value;
    Status s = RegisterValue(instance, &value);
    if (!s.ok()) return s;
    auto completion = std::make_shared<RegisterCompletion>(done, user_data);
    try {
      backend->RegisterAsync(value, opts, [completion](const Status& outcome) { completion->Deliver(outcome); });
    } catch (...) {
      if (!completion->Abandon()) return Status::OK();  // `done` ran: the host has its outcome
      throw;
    }
    return Status::OK();
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

// The read behind get_service_since and get_service_changes: *service, or
// *unchanged set to 1 (and *service left alone) when the service is still
// at `known_version`. With `base`, also the backend's snapshot at
// `known_version`, taken before the read, which may replace it.
inline Status ReadServiceSince(kreg_backend* b, kreg_str name, int64_t known_version, int* unchanged,
                               std::shared_ptr<const Service>* service, std::shared_ptr<const Service>* base) {
  std::string service_name = ToString(name);
  Status s = ValidateName("service name", service_name);
  if (!s.ok()) return s;
  Backend& backend = *Handle(b)->backend;
  if (base != nullptr && known_version != 0) *base = backend.KeptSnapshot(service_name, known_version);
  bool same = false;
  s = backend.GetServiceSince(service_name, known_version, &same, service);
  *unchanged = s.ok() && same ? 1 : 0;
  return s;
}

inline kreg_status GetServiceSince(kreg_backend* b, kreg_str name, int64_t known_version, int* unchanged,
                                   kreg_service_fn fn, void* user_data, char* err, size_t err_size) {
  *unchanged = 0;
  return Guard(err, err_size, [&]() -> Status {
    std::shared_ptr<const Service> service;
    Status s = ReadServiceSince(b, name, known_version, unchanged, &service, nullptr);
    if (!s.ok() || *unchanged != 0) return s;
    ServiceView view(*service);
    fn(user_data, view.get());
    return Status::OK();
  });
}

inline kreg_status GetServiceChanges(kreg_backend* b, kreg_str name, int64_t known_version, int* unchanged,
                                     kreg_service_changes_fn fn, void* user_data, char* err, size_t err_size) {
  *unchanged = 0;
  return Guard(err, err_size, [&]() -> Status {
    std::shared_ptr<const Service> service, base;
    Status s = ReadServiceSince(b, name, known_version, unchanged, &service, &base);
    if (!s.ok() || *unchanged != 0) return s;
    if (base == nullptr || base->version != known_version) {
      ServiceChangesView whole(*service);
      fn(user_data, whole.get());
      return Status::OK();
    }
    std::vector<InstancePtr> changed, removed;
    DiffInstances(*base, *service, &changed, &removed);
    ServiceChangesView delta(*service, changed, removed);
    fn(user_data, delta.get());
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
    return Handle(b)->backend->StreamServices([&](const Service& service) {
      ServiceView view(service);
      fn(user_data, view.get());
    });
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
    handle->sink = std::make_shared<DispatchingSink>(fn, user_data);
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
  t.register_instance_async = &RegisterInstanceAsync;
  t.get_service_changes = &GetServiceChanges;
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

#endif  // KREG_PLUGIN_GLUE_HPP_
