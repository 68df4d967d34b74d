#include "zk_test_util.h"

#include <dlfcn.h>

#include <algorithm>
#include <thread>

#include "kreg/json_format.hpp"
#include "kreg/kreg.h"

namespace kreg {
namespace testing {

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

// The ZooKeeper C client has unsynchronized static buffers of its own
// (log formatting); they are not the plugin's to fix.
#if defined(__SANITIZE_THREAD__)
extern "C" __attribute__((visibility("default"))) const char* __tsan_default_suppressions() { return "race:libzookeeper_mt.so\n"; }
#endif

}  // namespace testing
}  // namespace kreg
