#include "file_backend.h"

#include "clock.h"
#include "file_options.h"
#include "file_watch.h"
#include "kreg/data_model.hpp"
#include "kreg/json_format.hpp"
#include "kreg/validate.hpp"

namespace kreg {
namespace file {

namespace {

std::string Describe(const std::string& service, const std::string& id) { return service + "/" + id; }

}  // namespace

FileBackend::FileBackend(std::shared_ptr<FileStore> store, plugin::Logger log)
    : store_(std::move(store)), log_(log) {}

Status FileBackend::Create(const plugin::Config& config, std::unique_ptr<plugin::Backend>* out) {
  FileOptions options;
  Status s = ParseFileOptions(config, &options);
  if (!s.ok()) return s;
  config.log.Debug("file: registry file " + options.path);
  out->reset(new FileBackend(std::make_shared<FileStore>(options.path, options.timeout, config.log), config.log));
  return Status::OK();
}

bool FileBackend::Renew(std::string_view service_name, std::string_view id, std::chrono::milliseconds ttl) {
  std::lock_guard<std::mutex> lock(leases_mu_);
  auto service = leases_.find(service_name);
  if (service == leases_.end()) return false;
  auto lease = service->second.find(id);
  return lease != service->second.end() && lease->second - NowMs() >= ttl.count() / 2;
}

Status FileBackend::Register(const Instance& instance, const RegisterOptions& options) {
  const int64_t now_ms = NowMs();
  const int64_t ttl_ms = options.ttl.count();
  const std::string& service = instance.service_name;
  const std::string& id = instance.id;

  // Checked before the file is touched, with the times of a new instance,
  // and again on the exact record under the lock (a stored registration
  // time another tool wrote may be longer).
  Instance sized = instance;
  FillTimes(now_ms / 1000, 0, &sized);
  std::string json;
  Status s = format::EncodeStored(sized, &json);
  if (!s.ok()) return s;

  const int64_t expires_at_ms = now_ms + ttl_ms;
  const char* what = "";
  s = store_->Update(now_ms, [&](Document* doc) {
    InstanceEntry old;
    bool exists = doc->GetInstance(service, id, &old);
    if (exists && !options.refresh) {
      what = "lease renewed";
      doc->RenewLease(service, id, expires_at_ms);
      return Status::OK();
    }
    what = exists ? "rewritten" : "created";
    Instance stored = instance;
    FillTimes(now_ms / 1000, exists ? old.instance.reg_time : 0, &stored);
    std::string exact;
    Status fits = format::EncodeStored(stored, &exact);
    return fits.ok() ? doc->PutInstance(stored, expires_at_ms) : fits;
  });
  if (!s.ok()) return s;
  {
    std::lock_guard<std::mutex> lock(leases_mu_);
    leases_[service][id] = expires_at_ms;
  }
  log_.Debug("file: register " + Describe(service, id) + ": " + what);
  return Status::OK();
}

Status FileBackend::Deregister(const std::string& service_name, const std::string& id) {
  bool removed = false;
  Status s = store_->Update(NowMs(), [&](Document* doc) { return doc->RemoveInstance(service_name, id, &removed); });
  if (!s.ok()) return s;
  {
    std::lock_guard<std::mutex> lock(leases_mu_);
    auto service = leases_.find(service_name);
    if (service != leases_.end() && service->second.erase(id) > 0 && service->second.empty()) {
      leases_.erase(service);
    }
  }
  log_.Debug("file: deregister " + Describe(service_name, id) + (removed ? ": removed" : ": was absent"));
  return Status::OK();
}

Status FileBackend::GetService(const std::string& service_name, Service* out) {
  return ReadService(service_name, out, nullptr);
}

Status FileBackend::GetServiceSince(const std::string& service_name, int64_t known_version, bool* unchanged,
                                    std::shared_ptr<const Service>* out) {
  auto service = std::make_shared<Service>();
  bool hid_lapsed = false;
  Status s = ReadService(service_name, service.get(), &hid_lapsed);
  *unchanged = s.ok() && !hid_lapsed && known_version != 0 && service->version == known_version;
  if (s.ok()) *out = std::move(service);
  return s;
}

Status FileBackend::ReadService(const std::string& service_name, Service* out, bool* hid_lapsed) {
  const int64_t now_ms = NowMs();
  std::shared_ptr<const Snapshot> snapshot;
  Status s = store_->Read(now_ms, &snapshot);
  if (!s.ok()) return s;
  auto record = snapshot->services.find(service_name);
  if (record == snapshot->services.end()) {
    return Status::NotFound("service \"" + service_name + "\" does not exist in " + store_->path());
  }
  *out = ToService(service_name, record->second, now_ms, hid_lapsed);
  return Status::OK();
}

Status FileBackend::ListServices(std::vector<Service>* out) {
  const int64_t now_ms = NowMs();
  std::shared_ptr<const Snapshot> snapshot;
  Status s = store_->Read(now_ms, &snapshot);
  if (!s.ok()) return s;
  out->clear();
  for (const auto& [name, record] : snapshot->services) out->push_back(ToService(name, record, now_ms));
  return Status::OK();
}

Status FileBackend::SetProperty(const Property& property) {
  std::string json;
  Status s = format::EncodeStored(property, &json);
  if (!s.ok()) return s;
  s = store_->Update(NowMs(), [&](Document* doc) { return doc->PutProperty(property); });
  if (s.ok()) log_.Debug("file: set property of " + property.service_name);
  return s;
}

Status FileBackend::Watch(std::shared_ptr<plugin::EventSink> sink, std::unique_ptr<plugin::WatchSource>* source) {
  return FileWatch::Start(store_, std::move(sink), log_, source);
}

}  // namespace file
}  // namespace kreg
