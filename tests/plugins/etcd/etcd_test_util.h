// Helpers shared by the etcd plugin tests: the backend's options for a
// fixture server, loading the built plugin through the host, and etcdctl
// for looking behind the plugin's back.
#ifndef KREG_TESTS_PLUGINS_ETCD_ETCD_TEST_UTIL_H_
#define KREG_TESTS_PLUGINS_ETCD_ETCD_TEST_UTIL_H_

#include <chrono>
#include <string>
#include <vector>

#include "kreg/registry.hpp"
#include "kreg/status.hpp"
#include "support/etcd_server.h"
#include "support/event_recorder.h"
#include "support/log_capture.h"
#include "support/sample.h"

namespace kreg {
namespace testing {

// OpenOptions for every member of `server`: a 10 s timeout, a 2 s lease
// and `root`.
OpenOptions EtcdOptions(const EtcdServer& server, const std::string& root = "/discovery");

// Loads libkreg_etcd.so (once per process) and opens a registry with it.
Status OpenEtcd(const OpenOptions& options, Registry* out);

// A kregctl config for `server` (same settings as EtcdOptions), as YAML.
std::string EtcdConfigYaml(const EtcdServer& server, const std::string& root = "/discovery");

// etcdctl behind the plugin's back; each fails the test when etcdctl does.
std::string EtcdctlGet(const EtcdServer& server, const std::string& key);  // the value, "" when absent
std::vector<std::string> EtcdctlKeys(const EtcdServer& server, const std::string& prefix);
void EtcdctlPut(const EtcdServer& server, const std::string& key, const std::string& value);
void EtcdctlDel(const EtcdServer& server, const std::string& key);
// The lease a key is attached to (0: none, -1: no such key).
int64_t EtcdctlLease(const EtcdServer& server, const std::string& key);
// The store's revision now, asked of `members` (default: all).
int64_t EtcdctlRevision(const EtcdServer& server, const std::vector<int>& members = {});

}  // namespace testing
}  // namespace kreg

#endif  // KREG_TESTS_PLUGINS_ETCD_ETCD_TEST_UTIL_H_
