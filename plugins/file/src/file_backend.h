// FileBackend: the kreg backend over one registry file (see file_format.h
// for the format, file_store.h for how processes share the file).
//
// Leases: register stores the lease's end in the file. A repeat register
// (a keepalive) rewrites the file only when the stored end is less than
// half a TTL away; until then Renew answers it from memory, so a keepalive
// costs a file write about once per half TTL. A lease that lapsed with
// its holder is removed by the next process that writes or reads the file:
// a read never returns it, nor the version it had (see FileStore).
//
// Thread-safe.
#ifndef KREG_PLUGINS_FILE_FILE_BACKEND_H_
#define KREG_PLUGINS_FILE_FILE_BACKEND_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "file_store.h"
#include "kreg/plugin.hpp"

namespace kreg {
namespace file {

class FileBackend : public plugin::Backend {
 public:
  static Status Create(const plugin::Config& config, std::unique_ptr<plugin::Backend>* out);

  bool Renew(std::string_view service_name, std::string_view id, std::chrono::milliseconds ttl) override;
  Status Register(const Instance& instance, const RegisterOptions& options) override;
  Status Deregister(const std::string& service_name, const std::string& id) override;
  Status GetService(const std::string& service_name, Service* out) override;
  // Never "unchanged" while a read hides a lapsed lease the file still
  // holds (see ToService): the caller's copy at that version has it.
  Status GetServiceSince(const std::string& service_name, int64_t known_version, bool* unchanged,
                         std::shared_ptr<const Service>* out) override;
  Status ListServices(std::vector<Service>* out) override;
  Status SetProperty(const Property& property) override;
  Status Watch(std::shared_ptr<plugin::EventSink> sink, std::unique_ptr<plugin::WatchSource>* source) override;

 private:
  FileBackend(std::shared_ptr<FileStore> store, plugin::Logger log);
  // GetService; *hid_lapsed (may be null) as ToService sets it.
  Status ReadService(const std::string& service_name, Service* out, bool* hid_lapsed);

  // The lease end this process last wrote, by service and id; transparent
  // comparators let Renew look up its string_views without copying them.
  using Leases = std::map<std::string, std::map<std::string, int64_t, std::less<>>, std::less<>>;

  const std::shared_ptr<FileStore> store_;  // shared with the watches
  const plugin::Logger log_;
  std::mutex leases_mu_;
  Leases leases_;  // guarded by leases_mu_
};

}  // namespace file
}  // namespace kreg

#endif  // KREG_PLUGINS_FILE_FILE_BACKEND_H_
