#include "etcd_test_util.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "kreg/host/plugin_loader.h"

namespace kreg {
namespace testing {

namespace {

std::string Etcdctl(const EtcdServer& server, const std::vector<std::string>& args,
                    const std::vector<int>& members = {}) {
  std::string out;
  int rc = server.Etcdctl(args, &out, members);
  EXPECT_EQ(rc, 0) << "etcdctl failed: " << out;
  return out;
}

nlohmann::json GetJson(const EtcdServer& server, const std::string& key) {
  return nlohmann::json::parse(Etcdctl(server, {"get", key, "-w", "json"}), nullptr, false);
}

}  // namespace

OpenOptions EtcdOptions(const EtcdServer& server, const std::string& root) {
  OpenOptions o;
  o.addrs = server.addrs();
  o.timeout = std::chrono::seconds(10);
  o.root = root;
  o.options["session_timeout"] = "2s";
  return o;
}

Status OpenEtcd(const OpenOptions& options, Registry* out) {
  static host::LoadedPlugin plugin;
  static Status loaded = host::LoadPlugin(KREG_ETCD_PLUGIN_PATH, {}, &plugin);
  if (!loaded.ok()) return loaded;
  return Registry::Open(plugin.library, plugin.table, options, out);
}

std::string EtcdConfigYaml(const EtcdServer& server, const std::string& root) {
  std::string addrs;
  for (const std::string& a : server.addrs()) addrs += (addrs.empty() ? "" : ", ") + a;
  return "registry:\n  plugin: " KREG_ETCD_PLUGIN_PATH "\n  addrs: [" + addrs + "]\n  timeout: 10s\n  root: " + root +
         "\n  options: {session_timeout: 2s}\nlog:\n  level: warn\n";
}

std::string EtcdctlGet(const EtcdServer& server, const std::string& key) {
  return Etcdctl(server, {"get", key, "--print-value-only"});
}

std::vector<std::string> EtcdctlKeys(const EtcdServer& server, const std::string& prefix) {
  std::vector<std::string> keys;
  std::string out = Etcdctl(server, {"get", prefix, "--prefix", "--keys-only"});
  size_t begin = 0;
  for (size_t nl; (nl = out.find('\n', begin)) != std::string::npos; begin = nl + 1) {
    if (nl > begin) keys.push_back(out.substr(begin, nl - begin));
  }
  return keys;
}

void EtcdctlPut(const EtcdServer& server, const std::string& key, const std::string& value) {
  // "--" so that a value starting with '-' is not a flag.
  Etcdctl(server, {"put", "--", key, value});
}

void EtcdctlDel(const EtcdServer& server, const std::string& key) { Etcdctl(server, {"del", key}); }

int64_t EtcdctlLease(const EtcdServer& server, const std::string& key) {
  nlohmann::json j = GetJson(server, key);
  if (!j.is_object() || !j.contains("kvs")) return -1;
  return j["kvs"][0].value("lease", int64_t(0));
}

int64_t EtcdctlRevision(const EtcdServer& server, const std::vector<int>& members) {
  nlohmann::json j = nlohmann::json::parse(Etcdctl(server, {"get", "/", "-w", "json"}, members), nullptr, false);
  return j.is_object() ? j["header"].value("revision", int64_t(0)) : 0;
}

}  // namespace testing
}  // namespace kreg
