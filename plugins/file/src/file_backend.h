// FileBackend: the kreg backend over one registry file (see file_format.h
// for the format, file_store.h for how processes share the file).
//
// Leases: register stores the lease's end in the file. A repeat register
// (a keepalive) rewrites the file only when the stored end is less than
// half a TTL away; until then it renews in memory and returns at once, so a
// keepalive costs a file write about once per half TTL.
//
// Thread-safe.
#ifndef KREG_PLUGINS_FILE_FILE_BACKEND_H_
#define KREG_PLUGINS_FILE_FILE_BACKEND_H_

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "file_store.h"
#include "kreg/plugin.hpp"

namespace kreg {
namespace file {

class FileBackend : public plugin::Backend {
 public:
  static Status Create(const plugin::Config& config, std::unique_ptr<plugin::Backend>* out);

  Status Register(const Instance& instance, const RegisterOptions& options) override;
  Status Deregister(const std::string& service_name, const std::string& id) override;
  Status GetService(const std::string& service_name, Service* out) override;
  Status ListServices(std::vector<Service>* out) override;
  Status SetProperty(const Property& property) override;
  Status Watch(std::shared_ptr<plugin::EventSink> sink, std::unique_ptr<plugin::WatchSource>* source) override;

 private:
  FileBackend(std::shared_ptr<FileStore> store, plugin::Logger log);

  using InstanceKey = std::pair<std::string, std::string>;  // (service, id)

  const std::shared_ptr<FileStore> store_;  // shared with the watches
  const plugin::Logger log_;
  std::mutex leases_mu_;
  // The lease end this process last wrote for each instance it registered.
  std::map<InstanceKey, int64_t> leases_;  // guarded by leases_mu_
};

}  // namespace file
}  // namespace kreg

#endif  // KREG_PLUGINS_FILE_FILE_BACKEND_H_
