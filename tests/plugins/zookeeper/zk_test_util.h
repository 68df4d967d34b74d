// Helpers shared by the ZooKeeper plugin tests: loading the plugin through
// the C ABI, a raw ZooKeeper C client for looking behind the plugin's back,
// and a recorder that applies watch events to a model and checks them.
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

// Collected log lines of one registry.
class LogCapture {
 public:
  LogFunction Sink();
  std::vector<std::string> Lines(kreg_log_level min_level = KREG_LOG_TRACE) const;
  bool Contains(const std::string& text, kreg_log_level min_level = KREG_LOG_TRACE) const;
  std::string All() const;

 private:
  struct State {
    mutable std::mutex mu;
    std::vector<std::pair<kreg_log_level, std::string>> lines;
  };
  std::shared_ptr<State> state_ = std::make_shared<State>();
};

// OpenOptions for `server` with a 10 s timeout, a 4 s session and `root`.
OpenOptions ZkOptions(const ZooKeeperServer& server, const std::string& root = "/discovery");

// Loads libkreg_zookeeper.so with dlopen, negotiates the ABI, and opens a
// registry through kreg::Registry::Open.
Status OpenZk(const OpenOptions& options, Registry* out);


// The instances of `service` by id; empty when the service is missing.
std::map<std::string, Instance> InstancesById(const Service& service);

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

// Applies the events of a watch to a model of every service and checks
// the contract as they come: the version rule (support/version_rule.h),
// the initial state precedes exactly one SYNCED, and a delete names an
// instance the model has.
class EventRecorder {
 public:
  Watch::Callback Callback();

  struct Model {
    std::map<std::string, std::map<std::string, Instance>> instances;  // service -> id
    std::map<std::string, Property> properties;
    std::map<std::string, int64_t> versions;  // service -> last event version
  };

  bool WaitSynced(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // Polls until `pred(model)` holds.
  bool WaitUntil(const std::function<bool(const Model&)>& pred,
                 std::chrono::milliseconds timeout = std::chrono::seconds(30));
  Model model() const;
  std::vector<WatchEvent> events() const;
  // Contract violations seen so far (empty when all is well).
  std::vector<std::string> violations() const;
  size_t count(EventType type, EventInfo info) const;

 private:
  struct State {
    mutable std::mutex mu;
    std::condition_variable cv;
    Model model;
    std::vector<WatchEvent> events;
    std::vector<std::string> violations;
    VersionRule version_rule;
    int synced = 0;
  };
  std::shared_ptr<State> state_ = std::make_shared<State>();
};

// The model's view of one service's instances, comparable with the server:
// id -> JSON of the stored fields.
std::map<std::string, std::string> StoredView(const std::map<std::string, Instance>& instances);

// Every service under `root`, read through `registry`, as the model has it.
std::map<std::string, std::map<std::string, std::string>> ServerView(const Registry& registry);
std::map<std::string, std::map<std::string, std::string>> ModelView(const EventRecorder::Model& model);
// What differs between two views, one line per instance, for messages.
std::string DescribeDiff(const std::map<std::string, std::map<std::string, std::string>>& want,
                         const std::map<std::string, std::map<std::string, std::string>>& got);

}  // namespace testing
}  // namespace kreg

#endif  // KREG_TESTS_PLUGINS_ZOOKEEPER_ZK_TEST_UTIL_H_
