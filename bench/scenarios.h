// The benchmark's scenarios. Each measures kreg and, where one exists, its
// baseline in the same process, and adds rows to the report. Every loop is
// bounded by a count and by `deadline_per_scenario`.
#ifndef KREG_BENCH_SCENARIOS_H_
#define KREG_BENCH_SCENARIOS_H_

#include <chrono>
#include <string>
#include <vector>

#include "kreg/host/config.h"
#include "report.h"

namespace kreg {
namespace bench {

struct Options {
  int register_n = 20000;         // instances per register scenario
  int watch_events = 2000;        // events timed in the watch scenario
  int list_services = 1000;       // services in the list/memory scenario
  int list_instances = 100000;    // instances over those services
  int abi_calls = 5000000;        // calls timed in the ABI scenario
  int file_instances = 10000;     // instances in the file backend scenario
  int get_largest = 10000;        // get_service reads services of this size, 1/10 and 1/1000 of it
  std::chrono::seconds deadline_per_scenario{120};
  std::string plugin_dir;         // where libkreg_<name>.so are
  std::string noop_plugin;        // path of the no-op plugin
  std::string zk_connect;         // host:port of the ZooKeeper server
  std::string etcd_addr;          // host:port of the etcd server
  std::string work_dir;           // scratch files
  std::string scenario;           // only this ZooKeeper and etcd scenario (empty: all)
};

// One scenario of a backend, by the name --scenario gives it.
struct NamedScenario {
  const char* name;
  void (*run)(const Options& options, Report* report);
};

// The configs of kreg's ZooKeeper and etcd plugins on the benchmark's
// servers.
host::Config ZooKeeperConfig(const Options& options, const std::string& root);
host::Config EtcdConfig(const Options& options, const std::string& root);

void RunAbiOverhead(const Options& options, Report* report);
void RunFileBackend(const Options& options, Report* report);
// Each backend's scenarios, in the order they run; ZooKeeper and etcd
// have the same names.
const std::vector<NamedScenario>& ZooKeeperScenarios();
const std::vector<NamedScenario>& EtcdScenarios();
// Runs those of `scenarios` that options.scenario names (all when empty).
void RunScenarios(const std::vector<NamedScenario>& scenarios, const Options& options, Report* report);
// The names of `scenarios` as "a|b|c", and whether `name` is one.
std::string ScenarioNames(const std::vector<NamedScenario>& scenarios);
bool HasScenario(const std::vector<NamedScenario>& scenarios, const std::string& name);

}  // namespace bench
}  // namespace kreg

#endif  // KREG_BENCH_SCENARIOS_H_
