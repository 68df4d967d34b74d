// Registry: the host-side C++ face of one backend, over the C ABI.
//
// Obtain one from kreg::host::OpenRegistry (host/), which loads the plugin;
// or from Registry::Open when you already hold a plugin table.
//
// Thread safety: every method may be called concurrently from any thread,
// and from inside a watch callback; from inside a RegisterAsync's `done`
// only RegisterAsync.
// Registry is a cheap shared handle: copies refer to the same backend, which
// is destroyed (and its library released) when the last copy and the last
// Watch from it are gone.
#ifndef KREG_REGISTRY_HPP_
#define KREG_REGISTRY_HPP_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "kreg/kreg.h"
#include "kreg/status.hpp"
#include "kreg/types.hpp"
#include "kreg/validate.hpp"
#include "kreg/views.hpp"

namespace kreg {

// Receives the plugin's log lines; called from any thread, concurrently.
using LogFunction = std::function<void(kreg_log_level, std::string_view)>;

struct OpenOptions {
  std::vector<std::string> addrs;
  std::chrono::milliseconds timeout{0};  // 0: the backend's default
  std::string root;                      // empty: the backend's default
  std::string username;
  std::string password;
  StringMap options;  // backend-specific
  LogFunction log;    // empty: plugin logs are dropped
  kreg_log_level log_level = KREG_LOG_INFO;
};

class Registry;

// A running watch. Destroying it (or Cancel) stops it and returns only when
// its callback is not running and will not run again. Cancel may be called
// from inside the callback (it then returns at once); destroying the Watch
// from inside its own callback is not allowed. The callback must not throw:
// an exception leaving it terminates the process.
class Watch {
 public:
  using Callback = std::function<void(const WatchEvent&)>;

  ~Watch() { Cancel(); }
  Watch(const Watch&) = delete;
  Watch& operator=(const Watch&) = delete;

  void Cancel() {
    kreg_watch* w = watch_.exchange(nullptr);
    if (w != nullptr) plugin_->watch_cancel(w);
    if (CurrentCallbackWatch() == this) return;
    // A callback that cancelled its own watch may still be returning: the
    // plugin did not wait for it, so wait here before fn_ can go away.
    std::unique_lock<std::mutex> lock(mu_);
    idle_.wait(lock, [this] { return !in_callback_; });
  }

 private:
  friend class Registry;
  enum class State { kStarting, kLive, kFailed };

  Watch(std::shared_ptr<const void> backend, const kreg_plugin* plugin, Callback fn)
      : backend_(std::move(backend)), plugin_(plugin), fn_(std::move(fn)) {}

  static Watch*& CurrentCallbackWatch() {
    static thread_local Watch* current = nullptr;
    return current;
  }

  // Called by StartWatch once the plugin answered: events that arrived
  // before (the plugin may deliver them before it returns the handle) are
  // held back until then, so that a callback can always cancel its watch.
  void Publish(kreg_watch* handle, State state) {
    watch_.store(handle);
    std::lock_guard<std::mutex> lock(mu_);
    state_ = state;
    idle_.notify_all();
  }

  static void Trampoline(void* user_data, const kreg_watch_event* event) noexcept {
    auto* self = static_cast<Watch*>(user_data);
    {
      std::unique_lock<std::mutex> lock(self->mu_);
      self->idle_.wait(lock, [self] { return self->state_ != State::kStarting; });
      if (self->state_ == State::kFailed) return;
      self->in_callback_ = true;
    }
    CurrentCallbackWatch() = self;
    self->fn_(ToValue(*event));
    CurrentCallbackWatch() = nullptr;
    std::lock_guard<std::mutex> lock(self->mu_);
    self->in_callback_ = false;
    self->idle_.notify_all();
  }

  std::shared_ptr<const void> backend_;  // keeps the backend and its library
  const kreg_plugin* plugin_;
  Callback fn_;
  std::atomic<kreg_watch*> watch_{nullptr};
  std::mutex mu_;
  std::condition_variable idle_;
  State state_ = State::kStarting;
  bool in_callback_ = false;
};

class Registry {
 public:
  // Creates a backend through `plugin`. `library` keeps the plugin's shared
  // library loaded; it is released after the backend is destroyed. A plugin
  // thread may still be returning from a self-cancelled watch's callback
  // then, so a library released here must have been loaded with
  // RTLD_NODELETE (kreg::host::LoadPlugin does).
  static Status Open(std::shared_ptr<const void> library, const kreg_plugin* plugin,
                     const OpenOptions& options, Registry* out) {
    auto handle = std::make_shared<Handle>();
    handle->library = std::move(library);
    handle->plugin = plugin;
    handle->log = options.log;

    std::vector<kreg_str> addrs;
    for (const auto& a : options.addrs) addrs.push_back(ToStr(a));
    std::vector<kreg_kv> extras = ToKvs(options.options);
    kreg_init_options c{};
    c.struct_size = sizeof(c);
    c.addrs = addrs.data();
    c.addrs_count = addrs.size();
    c.timeout_ms = options.timeout.count();
    c.root = ToStr(options.root);
    c.username = ToStr(options.username);
    c.password = ToStr(options.password);
    c.options = extras.data();
    c.options_count = extras.size();
    c.log.log = handle->log ? &Handle::LogTrampoline : &Handle::LogDiscard;
    c.log.user_data = handle.get();
    c.log.min_level = handle->log ? options.log_level : KREG_LOG_OFF;

    ErrorBuffer err;
    kreg_status st = plugin->create(&c, &handle->backend, err.data, sizeof(err.data));
    if (st != KREG_OK) return Status(st, err.data);
    out->handle_ = std::move(handle);
    return Status::OK();
  }

  Registry() = default;
  bool valid() const { return handle_ != nullptr; }

  std::string Type() const { return handle_->plugin->type(handle_->backend); }
  const kreg_plugin& plugin() const { return *handle_->plugin; }

  Status Register(const Instance& instance, const RegisterOptions& options = {}) const {
    // Names only: this is the keepalive path. The plugin side checks the
    // rest of the instance before it stores anything.
    Status s = ValidateInstanceKey(instance.service_name, instance.id);
    if (!s.ok()) return s;
    InstanceView view(instance);
    const kreg_register_options c = ToC(options);
    ErrorBuffer err;
    return Result(handle_->plugin->register_instance(handle_->backend, view.get(), &c, err.data,
                                                     sizeof(err.data)),
                  err);
  }

  // Receives the outcome of one RegisterAsync: what Register would have
  // returned. Must not block or throw; from inside it only RegisterAsync
  // may be called on this Registry (kreg.h register_instance_async).
  using RegisterDone = std::function<void(const Status&)>;

  // Register for a caller that does not wait: `done` runs exactly once,
  // either on this thread before RegisterAsync returns (a keepalive, a bad
  // argument, an answer known at once) or later on a plugin thread; after
  // done(OK) the instance reads as after Register. Many registers in
  // flight at once let a backend commit them together (ZooKeeper); bound
  // how many yourself. A plugin older than ABI 1.2 registers on this
  // thread (Register, then `done`). Thread-safe like every method; the
  // last copy of this Registry going away waits until every pending
  // `done` has run (with UNAVAILABLE for those the backend's closing cut
  // short), so it must not be destroyed from inside `done`.
  void RegisterAsync(const Instance& instance, const RegisterOptions& options, RegisterDone done) const {
    const kreg_plugin& plugin = *handle_->plugin;
    if (!KREG_HAS_FIELD(&plugin, kreg_plugin, register_instance_async)) {
      done(Register(instance, options));
      return;
    }
    Status s = ValidateInstanceKey(instance.service_name, instance.id);
    if (!s.ok()) {
      done(s);
      return;
    }
    InstanceView view(instance);
    const kreg_register_options c = ToC(options);
    auto pending = std::make_unique<RegisterDone>(std::move(done));
    ErrorBuffer err;
    kreg_status st = plugin.register_instance_async(handle_->backend, view.get(), &c, &RegisterDoneTrampoline,
                                                    pending.get(), err.data, sizeof(err.data));
    if (st != KREG_OK) {
      (*pending)(Status(st, err.data));  // the plugin will not call back
      return;
    }
    pending.release();  // the trampoline owns it now
  }

  Status Deregister(const std::string& service_name, const std::string& id) const {
    Status s = ValidateInstanceKey(service_name, id);
    if (!s.ok()) return s;
    Instance key;
    key.service_name = service_name;
    key.id = id;
    InstanceView view(key);
    ErrorBuffer err;
    return Result(
        handle_->plugin->deregister_instance(handle_->backend, view.get(), err.data, sizeof(err.data)),
        err);
  }

  Status GetService(const std::string& service_name, Service* out) const {
    Status s = ValidateName("service name", service_name);
    if (!s.ok()) return s;
    ErrorBuffer err;
    return Result(handle_->plugin->get_service(handle_->backend, ToStr(service_name), &StoreService,
                                               out, err.data, sizeof(err.data)),
                  err);
  }

  // The service as an immutable snapshot, shared by every caller that read
  // the same version. This Registry keeps the last snapshot of each
  // service it read (until the service is gone) and offers its version to
  // the plugin: an unchanged service then crosses the ABI as one flag, not
  // as a copy (ABI 1.1; an older plugin's answer is copied every time),
  // and a changed one as what changed, applied to the kept snapshot: the
  // new snapshot shares every unchanged instance with it (ABI 1.3).
  // Freshness is the backend's GetService's (read-your-writes on both
  // backends kreg ships).
  Status GetService(const std::string& service_name, std::shared_ptr<const Service>* out) const {
    Status s = ValidateName("service name", service_name);
    if (!s.ok()) return s;
    const kreg_plugin& plugin = *handle_->plugin;
    if (!KREG_HAS_FIELD(&plugin, kreg_plugin, get_service_since)) {
      auto service = std::make_shared<Service>();
      s = GetService(service_name, service.get());
      if (s.ok()) *out = std::move(service);
      return s;
    }
    std::shared_ptr<const Service> known = handle_->Snapshot(service_name);
    const int64_t known_version = known ? known->version : 0;
    int unchanged = 0;
    ErrorBuffer err;
    kreg_status st;
    const char* member;
    ReadChanges changes{known.get(), nullptr, false};
    if (KREG_HAS_FIELD(&plugin, kreg_plugin, get_service_changes)) {
      member = "get_service_changes";
      st = plugin.get_service_changes(handle_->backend, ToStr(service_name), known_version, &unchanged,
                                      &StoreServiceChanges, &changes, err.data, sizeof(err.data));
    } else {
      member = "get_service_since";
      st = plugin.get_service_since(handle_->backend, ToStr(service_name), known_version, &unchanged,
                                    &StoreSharedService, &changes.read, err.data, sizeof(err.data));
    }
    std::shared_ptr<const Service> read = std::move(changes.read);
    if (st == KREG_NOT_FOUND) handle_->ForgetSnapshot(service_name);
    if (st != KREG_OK) return Status(st, err.data);
    if (unchanged != 0 && known != nullptr) {
      *out = std::move(known);
      return Status::OK();
    }
    if (changes.delta_without_base) {
      return Status::Internal("plugin \"" + std::string(plugin.name) + "\" answered " + member +
                              " with a delta from a version this host does not hold");
    }
    if (read == nullptr) {
      return Status::Internal("plugin \"" + std::string(plugin.name) + "\" answered " + member + " without a service");
    }
    handle_->KeepSnapshot(service_name, read);
    *out = std::move(read);
    return Status::OK();
  }

  Status ListServices(std::vector<Service>* out) const {
    out->clear();
    ErrorBuffer err;
    Status s = Result(handle_->plugin->list_services(handle_->backend, &AppendService, out, err.data,
                                                     sizeof(err.data)),
                      err);
    // What a plugin passed before it failed is part of no listing.
    if (!s.ok()) out->clear();
    return s;
  }

  Status SetProperty(const Property& property) const {
    Status s = ValidateName("service name", property.service_name);
    if (s.ok()) s = ValidatePropertyText(property);
    if (!s.ok()) return s;
    PropertyView view(property);
    ErrorBuffer err;
    return Result(
        handle_->plugin->set_property(handle_->backend, view.get(), err.data, sizeof(err.data)), err);
  }

  // Starts a watch over every service; `fn` runs on a backend thread, one
  // event at a time. See kreg.h for the order of events.
  Status StartWatch(Watch::Callback fn, std::unique_ptr<Watch>* out) const {
    std::unique_ptr<Watch> w(new Watch(handle_, handle_->plugin, std::move(fn)));
    ErrorBuffer err;
    kreg_watch* handle = nullptr;
    kreg_status st = handle_->plugin->watch(handle_->backend, &Watch::Trampoline, w.get(), &handle, err.data,
                                            sizeof(err.data));
    w->Publish(handle, st == KREG_OK ? Watch::State::kLive : Watch::State::kFailed);
    if (st != KREG_OK) return Status(st, err.data);
    *out = std::move(w);
    return Status::OK();
  }

 private:
  // Written only on failure, so only its first byte is cleared per call.
  struct ErrorBuffer {
    ErrorBuffer() { data[0] = '\0'; }
    char data[1024];
  };

  struct Handle {
    std::shared_ptr<const void> library;
    const kreg_plugin* plugin = nullptr;
    kreg_backend* backend = nullptr;
    LogFunction log;
    std::mutex snapshots_mu;
    std::unordered_map<std::string, std::shared_ptr<const Service>> snapshots;

    std::shared_ptr<const Service> Snapshot(const std::string& service_name) {
      std::lock_guard<std::mutex> lock(snapshots_mu);
      auto it = snapshots.find(service_name);
      return it == snapshots.end() ? nullptr : it->second;
    }
    // Keeps `service` unless a concurrent reader already kept a newer one.
    void KeepSnapshot(const std::string& service_name, const std::shared_ptr<const Service>& service) {
      std::lock_guard<std::mutex> lock(snapshots_mu);
      std::shared_ptr<const Service>& kept = snapshots[service_name];
      if (kept == nullptr || kept->version <= service->version) kept = service;
    }
    void ForgetSnapshot(const std::string& service_name) {
      std::lock_guard<std::mutex> lock(snapshots_mu);
      snapshots.erase(service_name);
    }

    ~Handle() {
      if (backend != nullptr) plugin->destroy(backend);
    }

    static void LogTrampoline(void* user_data, kreg_log_level level, kreg_str message) noexcept {
      try {
        static_cast<Handle*>(user_data)->log(level, std::string_view(message.data, message.size));
      } catch (...) {
        // A log line is not worth unwinding through the plugin for.
      }
    }
    static void LogDiscard(void*, kreg_log_level, kreg_str) {}
  };

  static kreg_register_options ToC(const RegisterOptions& options) {
    kreg_register_options c{};
    c.struct_size = sizeof(c);
    c.ttl_ms = options.ttl.count();
    c.refresh = options.refresh ? 1 : 0;
    return c;
  }

  // An exception leaving `done` terminates here rather than unwinding
  // through plugin frames.
  static void RegisterDoneTrampoline(void* user_data, kreg_status status, kreg_str message) noexcept {
    std::unique_ptr<RegisterDone> done(static_cast<RegisterDone*>(user_data));
    (*done)(status == KREG_OK ? Status::OK() : Status(status, ToString(message)));
  }

  static Status Result(kreg_status st, const ErrorBuffer& err) {
    if (st == KREG_OK) return Status::OK();
    return Status(st, err.data);
  }

  // Copying a result can only fail for want of memory, which C++ code of
  // this process cannot survive anyway; noexcept turns that into a clean
  // terminate here instead of an unwind through plugin frames.
  static void StoreService(void* user_data, const kreg_service* service) noexcept {
    *static_cast<Service*>(user_data) = ToValue(*service);
  }
  static void StoreSharedService(void* user_data, const kreg_service* service) noexcept {
    *static_cast<std::shared_ptr<const Service>*>(user_data) = std::make_shared<const Service>(ToValue(*service));
  }
  // What StoreServiceChanges makes of an answer to get_service_changes.
  struct ReadChanges {
    const Service* known;  // the host's copy at the offered version, or null
    std::shared_ptr<const Service> read;
    bool delta_without_base;
  };
  static void StoreServiceChanges(void* user_data, const kreg_service_changes* changes) noexcept {
    auto* to = static_cast<ReadChanges*>(user_data);
    if (changes->service == nullptr) return;  // reported as an answer without a service
    if (changes->is_delta == 0) {
      to->read = std::make_shared<const Service>(ToValue(*changes->service));
    } else if (to->known == nullptr) {
      to->delta_without_base = true;
    } else {
      to->read = std::make_shared<const Service>(ApplyServiceChanges(*to->known, *changes));
    }
  }
  static void AppendService(void* user_data, const kreg_service* service) noexcept {
    static_cast<std::vector<Service>*>(user_data)->push_back(ToValue(*service));
  }

  std::shared_ptr<Handle> handle_;
};

}  // namespace kreg

#endif  // KREG_REGISTRY_HPP_
