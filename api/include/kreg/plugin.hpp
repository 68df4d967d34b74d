// The plugin-author side of kreg: write a backend as a C++ class against
// this header, then expose it through the C ABI (kreg.h) with one line:
//
//   class MyBackend : public kreg::plugin::Backend {
//    public:
//     static kreg::Status Create(const kreg::plugin::Config& config,
//                                std::unique_ptr<kreg::plugin::Backend>* out);
//     ... the operations ...
//   };
//   KREG_DEFINE_PLUGIN("mine", "one line about it", MyBackend)
//
// What the glue does for every backend (kreg/plugin_glue.hpp, which an
// author need not read): validates names and text before any backend call,
// turns an escaping exception into KREG_INTERNAL, and runs each watch's
// callbacks on a dispatcher thread of its own. The rules a backend keeps
// (errors, versions, liveness) are api/CONTRACT.md's; the data model every
// backend shares is kreg/json_format.hpp, kreg/data_model.hpp and
// kreg/events.hpp.
#ifndef KREG_PLUGIN_HPP_
#define KREG_PLUGIN_HPP_

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "kreg/kreg.h"
#include "kreg/status.hpp"
#include "kreg/types.hpp"
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
// time, on a dispatcher thread of the watch's own (so a slow callback never
// blocks a backend thread, and the cancel rules of kreg.h hold). After the
// watch is cancelled Push drops its event, so a producer need not race with
// cancellation; closed() tells a producer it may stop early.
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void Push(WatchEvent event) = 0;
  virtual bool closed() const = 0;
};

// What produces a watch's events. Destroying it must stop production and
// return only when the backend will not touch the sink again (join its
// threads, remove its registrations).
class WatchSource {
 public:
  virtual ~WatchSource() = default;
};

// A backend. All methods may be called concurrently from any thread, also
// from inside a watch callback (kreg.h); names, ids and UTF-8 are checked
// by the glue before Register, Deregister, GetService* and SetProperty
// run. Every method may fail with UNAVAILABLE (the store is unreachable)
// or TIMEOUT (Config::timeout passed); the errors of its own are listed
// with it, and api/CONTRACT.md says the rest (versions, watch, liveness).
class Backend {
 public:
  virtual ~Backend() = default;

  // The fast path of a keepalive, tried before Register for every register
  // call without refresh: when THIS backend object registered the live
  // instance (service_name, id) and holds its lease, renew it and return
  // true; otherwise return false and Register runs (a lease held by
  // another process is Register's business). Names are not yet validated
  // here, and the views die with the call. The default always falls through.
  virtual bool Renew(std::string_view service_name, std::string_view id, std::chrono::milliseconds ttl) {
    (void)service_name;
    (void)id;
    (void)ttl;
    return false;
  }
  // Creates the instance with a lease of options.ttl; for one that exists
  // renews the lease and writes nothing, unless options.refresh, which
  // rewrites the data (data_version + 1, a MODIFY). Fill times with
  // FillTimes and check the record with format::EncodeStored before
  // writing. Errors: INVALID_ARGUMENT (over kMaxStoredBytes, naming
  // service/id; nothing stored), PERMISSION_DENIED, CORRUPT (the store holds
  // data the backend will not overwrite).
  virtual Status Register(const Instance& instance, const RegisterOptions& options) = 0;
  // Receives a register's outcome: what Register would have returned.
  using RegisterDone = std::function<void(const Status&)>;
  // Register for a caller that does not wait (kreg.h
  // register_instance_async): calls `done` exactly once, either on this
  // thread before returning or later on a backend thread; after done(OK)
  // the instance reads as after Register. `instance` and `options` die
  // with the call. `done` never blocks; from inside it only RegisterAsync
  // may be called. The glue answers keepalives (Renew) and bad names
  // before this runs, as for Register. A backend must have run every
  // pending `done` before its destructor returns. The default calls
  // Register and then `done`: correct for every backend, with one register
  // in flight per caller; a backend whose store answers asynchronously
  // overrides it to keep many in flight.
  virtual void RegisterAsync(const Instance& instance, const RegisterOptions& options, RegisterDone done) {
    done(Register(instance, options));
  }
  // Removes the instance at once; an absent one is OK. Errors:
  // PERMISSION_DENIED, CORRUPT.
  virtual Status Deregister(const std::string& service_name, const std::string& id) = 0;
  // The service as readers see it: live instances (AddInstance), the
  // property merged in (format::MergeProperty), its version. Errors:
  // NOT_FOUND when the service does not exist.
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
  // The snapshot this backend still holds of the service at `version`, or
  // nullptr. GetServiceChanges diffs it against a newer read to hand the
  // host only what changed, which is cheap when the two share their
  // unchanged instances (a cache that builds each snapshot from the last).
  // The default keeps nothing: every changed read is handed over whole.
  virtual std::shared_ptr<const Service> KeptSnapshot(const std::string& service_name, int64_t version) {
    (void)service_name;
    (void)version;
    return nullptr;
  }
  // Every service, as GetService returns it; none is OK (an empty list).
  virtual Status ListServices(std::vector<Service>* out) = 0;
  // Receives one service of a listing.
  using ServiceFn = std::function<void(const Service&)>;
  // The services of ListServices, in its order, each passed to `emit` on
  // the calling thread. A backend whose listing is long overrides it to
  // emit each service as soon as it is read, so the host copies it while
  // the rest are on the way instead of all at the end. After an error the
  // services emitted are no listing: the host drops them. The default
  // calls ListServices, then `emit`.
  virtual Status StreamServices(const ServiceFn& emit) {
    std::vector<Service> services;
    Status s = ListServices(&services);
    if (!s.ok()) return s;
    for (const Service& service : services) emit(service);
    return Status::OK();
  }
  // Stores the service's property, replacing the last (a CREATE or MODIFY
  // of the property). Errors as Register's.
  virtual Status SetProperty(const Property& property) = 0;
  // Pushes into `sink` the initial state as CREATE events, then SYNCED,
  // then live changes, until *source is destroyed (kreg/events.hpp makes
  // the events; their versions follow api/CONTRACT.md "Versions"). A watch
  // that fails here must not have pushed anything the host could see: the
  // glue drops what was pushed.
  virtual Status Watch(std::shared_ptr<EventSink> sink, std::unique_ptr<WatchSource>* source) = 0;
};

using BackendFactory = Status (*)(const Config& config, std::unique_ptr<Backend>* out);

}  // namespace plugin
}  // namespace kreg

#include "kreg/plugin_glue.hpp"

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
