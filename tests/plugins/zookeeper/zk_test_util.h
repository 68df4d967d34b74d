// Helpers shared by the ZooKeeper plugin tests: loading the plugin through
// the C ABI and a raw ZooKeeper C client for looking behind the plugin's back
// (the watch recorder and the log capture are tests/support's).
#ifndef KREG_TESTS_PLUGINS_ZOOKEEPER_ZK_TEST_UTIL_H_
#define KREG_TESTS_PLUGINS_ZOOKEEPER_ZK_TEST_UTIL_H_

#include <zookeeper/zookeeper.h>

#include <chrono>
#include <functional>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "kreg/registry.hpp"
#include "kreg/status.hpp"
#include "kreg/types.hpp"
#include "support/event_recorder.h"
#include "support/log_capture.h"
#include "support/sample.h"
#include "support/version_rule.h"
#include "support/zookeeper_server.h"

namespace kreg {
namespace testing {

// Starts a server of `nodes` for the test or fails it (fatally).
#define KREG_START_ZOOKEEPER(var, nodes)                                         \
  std::string var##_error;                                                       \
  std::unique_ptr<::kreg::testing::ZooKeeperServer> var =                        \
      ::kreg::testing::ZooKeeperServer::Start(nodes, &var##_error);              \
  ASSERT_NE(var, nullptr) << var##_error

// OpenOptions for `server` with a 10 s timeout, a 4 s session and `root`.
OpenOptions ZkOptions(const ZooKeeperServer& server, const std::string& root = "/discovery");

// Loads libkreg_zookeeper.so with dlopen, negotiates the ABI, and opens a
// registry through kreg::Registry::Open.
Status OpenZk(const OpenOptions& options, Registry* out);


// A synchronous ZooKeeper client that does not go through kreg.
class RawClient {
 public:
  // Connects to `hosts` (waiting up to 30 s); with `auth` ("user:pass")
  // adds digest credentials.
  explicit RawClient(const std::string& hosts, const std::string& auth = "");
  ~RawClient();
  bool connected() const { return zh_ != nullptr; }
  zhandle_t* handle() { return zh_; }

  int Get(const std::string& path, std::string* data, Stat* stat = nullptr);
  int Set(const std::string& path, const std::string& data);
  // Creates `path` (persistent, open ACL) and missing parents.
  int CreateAll(const std::string& path, const std::string& data);
  int Delete(const std::string& path);
  int Children(const std::string& path, std::vector<std::string>* out, Stat* stat = nullptr);
  int Exists(const std::string& path, Stat* stat = nullptr);
  int GetAcl(const std::string& path, std::vector<std::string>* out);  // "scheme:id:perms"

 private:
  zhandle_t* zh_ = nullptr;
};

}  // namespace testing
}  // namespace kreg

#endif  // KREG_TESTS_PLUGINS_ZOOKEEPER_ZK_TEST_UTIL_H_
