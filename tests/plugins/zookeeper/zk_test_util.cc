#include "zk_test_util.h"

#include <dlfcn.h>

#include <algorithm>
#include <thread>

#include "kreg/json_format.hpp"
#include "kreg/kreg.h"

namespace kreg {
namespace testing {

LogFunction LogCapture::Sink() {
  std::shared_ptr<State> state = state_;
  return [state](kreg_log_level level, std::string_view message) {
    std::lock_guard<std::mutex> lock(state->mu);
    state->lines.emplace_back(level, std::string(message));
  };
}

std::vector<std::string> LogCapture::Lines(kreg_log_level min_level) const {
  std::lock_guard<std::mutex> lock(state_->mu);
  std::vector<std::string> out;
  for (const auto& [level, line] : state_->lines) {
    if (level >= min_level) out.push_back(line);
  }
  return out;
}

bool LogCapture::Contains(const std::string& text, kreg_log_level min_level) const {
  for (const std::string& line : Lines(min_level)) {
    if (line.find(text) != std::string::npos) return true;
  }
  return false;
}

std::string LogCapture::All() const {
  std::string out;
  for (const std::string& line : Lines()) out += line + "\n";
  return out;
}

OpenOptions ZkOptions(const ZooKeeperServer& server, const std::string& root) {
  OpenOptions o;
  o.addrs = server.addrs();
  o.timeout = std::chrono::seconds(10);
  o.root = root;
  o.options["session_timeout"] = "4s";
  return o;
}

Status OpenZk(const OpenOptions& options, Registry* out) {
  static const kreg_plugin* table = []() -> const kreg_plugin* {
    void* lib = dlopen(KREG_ZOOKEEPER_PLUGIN_PATH, RTLD_NOW | RTLD_LOCAL);
    if (lib == nullptr) return nullptr;
    auto entry = reinterpret_cast<kreg_plugin_entry_fn>(dlsym(lib, KREG_PLUGIN_ENTRY_SYMBOL));
    if (entry == nullptr) return nullptr;
    kreg_host_info host{sizeof(kreg_host_info), KREG_ABI_VERSION_MAJOR, KREG_ABI_VERSION_MINOR};
    const kreg_plugin* t = nullptr;
    char err[256] = {0};
    if (entry(&host, &t, err, sizeof(err)) != KREG_OK) return nullptr;
    return t;
  }();
  if (table == nullptr) return Status::Internal("cannot load " KREG_ZOOKEEPER_PLUGIN_PATH);
  // The library stays loaded for the whole test process.
  return Registry::Open(std::shared_ptr<const void>(), table, options, out);
}

std::map<std::string, Instance> InstancesById(const Service& service) {
  std::map<std::string, Instance> out;
  for (const auto& [zone, by_id] : service.instances) {
    for (const auto& [id, in] : by_id) out[id] = in;
  }
  return out;
}

namespace {
void DropLog(const char*) {}
}  // namespace

RawClient::RawClient(const std::string& hosts, const std::string& auth) {
  zh_ = zookeeper_init2(hosts.c_str(), nullptr, 10000, nullptr, nullptr, 0, &DropLog);
  if (zh_ == nullptr) return;
  if (!auth.empty()) zoo_add_auth(zh_, "digest", auth.data(), static_cast<int>(auth.size()), nullptr, nullptr);
  for (int i = 0; i < 3000 && zoo_state(zh_) != ZOO_CONNECTED_STATE; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (zoo_state(zh_) != ZOO_CONNECTED_STATE) {
    zookeeper_close(zh_);
    zh_ = nullptr;
  }
}

RawClient::~RawClient() {
  if (zh_ != nullptr) zookeeper_close(zh_);
}

int RawClient::Get(const std::string& path, std::string* data, Stat* stat) {
  std::vector<char> buf(1 << 20);
  int len = static_cast<int>(buf.size());
  Stat s{};
  int rc = zoo_get(zh_, path.c_str(), 0, buf.data(), &len, &s);
  if (rc == ZOK) data->assign(buf.data(), len > 0 ? static_cast<size_t>(len) : 0);
  if (stat != nullptr) *stat = s;
  return rc;
}

int RawClient::Set(const std::string& path, const std::string& data) {
  return zoo_set(zh_, path.c_str(), data.data(), static_cast<int>(data.size()), -1);
}

int RawClient::CreateAll(const std::string& path, const std::string& data) {
  for (size_t at = path.find('/', 1); at != std::string::npos; at = path.find('/', at + 1)) {
    zoo_create(zh_, path.substr(0, at).c_str(), nullptr, -1, &ZOO_OPEN_ACL_UNSAFE, 0, nullptr, 0);
  }
  return zoo_create(zh_, path.c_str(), data.data(), static_cast<int>(data.size()), &ZOO_OPEN_ACL_UNSAFE, 0,
                    nullptr, 0);
}

int RawClient::Delete(const std::string& path) { return zoo_delete(zh_, path.c_str(), -1); }

int RawClient::Children(const std::string& path, std::vector<std::string>* out, Stat* stat) {
  String_vector v{};
  Stat s{};
  int rc = zoo_get_children2(zh_, path.c_str(), 0, &v, &s);
  if (rc == ZOK) {
    for (int i = 0; i < v.count; ++i) out->emplace_back(v.data[i]);
    deallocate_String_vector(&v);
    std::sort(out->begin(), out->end());
  }
  if (stat != nullptr) *stat = s;
  return rc;
}

int RawClient::Exists(const std::string& path, Stat* stat) {
  Stat s{};
  int rc = zoo_exists(zh_, path.c_str(), 0, &s);
  if (stat != nullptr) *stat = s;
  return rc;
}

int RawClient::GetAcl(const std::string& path, std::vector<std::string>* out) {
  ACL_vector acl{};
  Stat s{};
  int rc = zoo_get_acl(zh_, path.c_str(), &acl, &s);
  if (rc == ZOK) {
    for (int i = 0; i < acl.count; ++i) {
      out->push_back(std::string(acl.data[i].id.scheme) + ":" + acl.data[i].id.id + ":" +
                     std::to_string(acl.data[i].perms));
    }
    deallocate_ACL_vector(&acl);
  }
  return rc;
}

Watch::Callback EventRecorder::Callback() {
  std::shared_ptr<State> st = state_;
  return [st](const WatchEvent& e) {
    std::lock_guard<std::mutex> lock(st->mu);
    st->events.push_back(e);
    auto violation = [&](const std::string& what) {
      st->violations.push_back(std::string(EventTypeName(e.type)) + " " + EventInfoName(e.info) + " " +
                               e.service_name + " v" + std::to_string(e.version) + ": " + what);
    };
    if (e.type == EventType::kSynced) {
      if (++st->synced != 1) violation("more than one SYNCED");
    } else if (e.type != EventType::kError) {
      if (st->synced == 0 && e.type != EventType::kCreate) violation("not a CREATE before SYNCED");
      std::string broken = st->version_rule.Check(e);
      if (!broken.empty()) violation(broken);
      st->model.versions[e.service_name] = st->version_rule.last(e.service_name);
      if (e.info == EventInfo::kInstance) {
        auto& by_id = st->model.instances[e.service_name];
        if (e.instance.id.empty()) violation("no instance id");
        if (e.type == EventType::kDelete) {
          if (by_id.erase(e.instance.id) == 0) violation("delete of an unknown instance " + e.instance.id);
        } else {
          if (e.type == EventType::kCreate && by_id.count(e.instance.id) != 0) {
            violation("create of a known instance " + e.instance.id);
          }
          if (e.type == EventType::kModify && by_id.count(e.instance.id) == 0) {
            violation("modify of an unknown instance " + e.instance.id);
          }
          by_id[e.instance.id] = e.instance;
        }
        if (by_id.empty()) st->model.instances.erase(e.service_name);
      } else if (e.info == EventInfo::kProperty) {
        if (e.type == EventType::kDelete) {
          st->model.properties.erase(e.service_name);
        } else {
          st->model.properties[e.service_name] = e.property;
        }
      }
    }
    st->cv.notify_all();
  };
}

bool EventRecorder::WaitSynced(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(state_->mu);
  return state_->cv.wait_for(lock, timeout, [this] { return state_->synced > 0; });
}

bool EventRecorder::WaitUntil(const std::function<bool(const Model&)>& pred, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(state_->mu);
  return state_->cv.wait_for(lock, timeout, [&] { return pred(state_->model); });
}

EventRecorder::Model EventRecorder::model() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->model;
}

std::vector<WatchEvent> EventRecorder::events() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->events;
}

std::vector<std::string> EventRecorder::violations() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->violations;
}

size_t EventRecorder::count(EventType type, EventInfo info) const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return static_cast<size_t>(std::count_if(state_->events.begin(), state_->events.end(), [&](const WatchEvent& e) {
    return e.type == type && e.info == info;
  }));
}

std::map<std::string, std::string> StoredView(const std::map<std::string, Instance>& instances) {
  std::map<std::string, std::string> out;
  for (const auto& [id, in] : instances) out[id] = format::InstanceToJson(in).dump();
  return out;
}

std::map<std::string, std::map<std::string, std::string>> ServerView(const Registry& registry) {
  std::map<std::string, std::map<std::string, std::string>> out;
  std::vector<Service> services;
  if (!registry.ListServices(&services).ok()) return {{"<error>", {}}};
  for (const Service& s : services) {
    auto view = StoredView(InstancesById(s));
    if (!view.empty()) out[s.service_name] = view;
  }
  return out;
}

std::map<std::string, std::map<std::string, std::string>> ModelView(const EventRecorder::Model& model) {
  std::map<std::string, std::map<std::string, std::string>> out;
  for (const auto& [service, by_id] : model.instances) {
    auto view = StoredView(by_id);
    if (!view.empty()) out[service] = view;
  }
  return out;
}

std::string DescribeDiff(const std::map<std::string, std::map<std::string, std::string>>& want,
                         const std::map<std::string, std::map<std::string, std::string>>& got) {
  std::string out;
  auto side = [&](const auto& a, const auto& b, const char* what) {
    for (const auto& [service, by_id] : a) {
      auto other = b.find(service);
      for (const auto& [id, json] : by_id) {
        if (other == b.end() || other->second.count(id) == 0) {
          out += std::string(what) + " " + service + "/" + id + "\n";
        } else if (other->second.at(id) != json && what[0] == 's') {
          out += "differs " + service + "/" + id + ": server " + json + " watch " + other->second.at(id) + "\n";
        }
      }
    }
  };
  side(want, got, "server only");
  side(got, want, "watch only");
  return out;
}

// The ZooKeeper C client has unsynchronized static buffers of its own
// (log formatting); they are not the plugin's to fix.
#if defined(__SANITIZE_THREAD__)
extern "C" __attribute__((visibility("default"))) const char* __tsan_default_suppressions() { return "race:libzookeeper_mt.so\n"; }
#endif

}  // namespace testing
}  // namespace kreg
