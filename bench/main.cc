// kreg-bench: kreg against the raw ZooKeeper C client and a raw libcurl
// etcd client, in one run. Starts its own ZooKeeper and etcd (the test
// fixtures' way), warms them up, runs every scenario, prints one table and
// writes it as markdown. `kreg-bench --help` lists the flags (kUsage).
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "memory_probe.h"
#include "raw_etcd.h"
#include "raw_zk.h"
#include "report.h"
#include "scenarios.h"
#include "support/etcd_server.h"
#include "support/temp_dir.h"
#include "support/zookeeper_server.h"

namespace kreg {
namespace bench {
namespace {

// A cold JVM is ~10x slower than a warm one: exercise create, read and
// delete paths for a while before measuring.
void WarmUp(const std::string& connect, int rounds) {
  RawZk zk(connect);
  zk.EnsurePath("/warmup");
  std::vector<std::string> paths;
  for (int i = 0; i < 2000; ++i) paths.push_back("/warmup/n" + std::to_string(i));
  for (int r = 0; r < rounds; ++r) {
    zk.PipelinedCreate(paths, {std::string(300, 'x')}, ZOO_EPHEMERAL);
    zk.PipelinedGet(paths);
    for (const auto& p : paths) zoo_delete(zk.handle(), p.c_str(), -1);
  }
}

// Exercises etcd's put, range and lease paths once before measuring, so
// that the first scenario does not pay for the server's first allocations.
void WarmUpEtcd(const std::string& addr, int rounds) {
  RawEtcd etcd(addr);
  std::vector<KeyValue> pairs;
  for (int i = 0; i < 2000; ++i) pairs.push_back({"/warmup/n" + std::to_string(i), std::string(300, 'x')});
  for (int r = 0; r < rounds; ++r) {
    int64_t lease = etcd.GrantLease(60);
    etcd.PutBatch(pairs, lease);
    etcd.RangePrefix("/warmup/", 0);
    etcd.Revoke(lease);
  }
}

const char kUsage[] =
    "usage: kreg-bench [--quick] [--out FILE] [--commit SHA] [--only abi|file|zookeeper|etcd]\n"
    "                  [--scenario register|keepalive|watch|get|list]   (ZooKeeper and etcd ones)\n"
    "                  [--etcd HOST:PORT]   (an etcd of your own instead of a private one)\n"
    "                  [--plugin-dir DIR]   (where libkreg_<name>.so are)\n"
    "                  [--register-n N] [--watch-events N] [--get-largest N]\n"
    "                  [--list-services N] [--list-instances N] [--abi-calls N]\n"
    "                  [--file-instances N] [--deadline SECONDS]\n"
    "A size flag wins over --quick's sizes, wherever it stands.\n";

// The field of `o` a size flag sets, or null when `flag` is not one.
int* SizeField(Options* o, const std::string& flag) {
  if (flag == "--register-n") return &o->register_n;
  if (flag == "--watch-events") return &o->watch_events;
  if (flag == "--get-largest") return &o->get_largest;
  if (flag == "--list-services") return &o->list_services;
  if (flag == "--list-instances") return &o->list_instances;
  if (flag == "--abi-calls") return &o->abi_calls;
  if (flag == "--file-instances") return &o->file_instances;
  return nullptr;
}

int Main(int argc, char** argv) {
  Options o;
  o.plugin_dir = KREG_BENCH_PLUGIN_DIR;
  o.noop_plugin = KREG_BENCH_NOOP_PLUGIN;
  std::string out_path = "bench-results.md";
  std::string commit = "unknown";
  std::string only;
  std::string memory_root;
  bool quick = false, memory_child = false;
  std::vector<std::pair<std::string, int>> sizes;  // flag, value: applied after --quick
  int deadline_seconds = 0;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "kreg-bench: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--help" || a == "-h") {
      std::printf("%s", kUsage);
      return 0;
    }
    if (a == "--quick") quick = true;
    else if (a == "--out") out_path = value();
    else if (a == "--commit") commit = value();
    else if (a == "--only") only = value();
    else if (a == "--scenario") o.scenario = value();
    else if (a == "--etcd") o.etcd_addr = value();
    else if (a == "--memory-child") memory_child = true;
    else if (a == "--zk") o.zk_connect = value();
    else if (a == "--root") memory_root = value();
    else if (a == "--plugin-dir") o.plugin_dir = value();
    else if (SizeField(&o, a) != nullptr || a == "--deadline") {
      std::string text = value();
      char* end = nullptr;
      long n = std::strtol(text.c_str(), &end, 10);
      if (text.empty() || *end != '\0' || n < 1 || n > 100000000) {
        std::fprintf(stderr, "kreg-bench: %s takes a whole number from 1 to 100000000, not '%s'\n", a.c_str(),
                     text.c_str());
        return 2;
      }
      if (a == "--deadline") deadline_seconds = static_cast<int>(n);
      else sizes.emplace_back(a, static_cast<int>(n));
    }
    else {
      std::fprintf(stderr, "kreg-bench: unknown argument %s\n", a.c_str());
      return 2;
    }
  }
  if (!only.empty() && only != "abi" && only != "file" && only != "zookeeper" && only != "etcd") {
    std::fprintf(stderr, "kreg-bench: unknown --only %s; use one of abi|file|zookeeper|etcd\n", only.c_str());
    return 2;
  }
  if (!o.scenario.empty() && !HasScenario(ZooKeeperScenarios(), o.scenario) &&
      !HasScenario(EtcdScenarios(), o.scenario)) {
    std::fprintf(stderr, "kreg-bench: unknown --scenario %s; use one of %s\n", o.scenario.c_str(),
                 ScenarioNames(ZooKeeperScenarios()).c_str());
    return 2;
  }
  // stdout carries the table (and the memory probe's answer): logs go to stderr.
  spdlog::set_default_logger(spdlog::stderr_color_mt("kreg-bench"));
  if (memory_child) return MemoryChildMain(o, memory_root);
  if (quick) {
    o.register_n = 300;
    o.watch_events = 50;
    o.list_services = 20;
    o.list_instances = 1000;
    o.abi_calls = 200000;
    o.file_instances = 200;
    o.get_largest = 1000;
    o.deadline_per_scenario = std::chrono::seconds(20);
  }
  for (const auto& [flag, n] : sizes) *SizeField(&o, flag) = n;
  if (deadline_seconds > 0) o.deadline_per_scenario = std::chrono::seconds(deadline_seconds);
  if (o.list_instances < o.list_services || o.get_largest < 1000) {
    std::fprintf(stderr, "kreg-bench: --list-instances must be at least --list-services, and --get-largest "
                         "at least 1000 (it also reads services of 1/10 and 1/1000 of it)\n");
    return 2;
  }
  testing::TempDir work;
  o.work_dir = work.path();

  Report report;
  std::string notes;
  if (only.empty() || only == "abi") RunAbiOverhead(o, &report);
  if (only.empty() || only == "file") RunFileBackend(o, &report);
  if (only.empty() || only == "zookeeper") {
    std::string error;
    auto server = testing::ZooKeeperServer::Start(1, &error);
    if (!server) {
      std::fprintf(stderr, "kreg-bench: cannot start ZooKeeper: %s\n", error.c_str());
      return 1;
    }
    o.zk_connect = server->connect_string();
    std::fprintf(stderr, "ZooKeeper on %s; warming up\n", o.zk_connect.c_str());
    WarmUp(o.zk_connect, quick ? 1 : 10);
    RunScenarios(ZooKeeperScenarios(), o, &report);
    notes = "ZooKeeper 3.8.0 standalone on loopback, tickTime 500 ms, data dir on the local disk";
  }
  if (only.empty() || only == "etcd") {
    std::unique_ptr<testing::EtcdServer> server;
    if (o.etcd_addr.empty()) {
      std::string error;
      server = testing::EtcdServer::Start(1, &error);
      if (!server) {
        std::fprintf(stderr, "kreg-bench: cannot start etcd: %s\n", error.c_str());
        return 1;
      }
      o.etcd_addr = server->addr(0);
    }
    std::fprintf(stderr, "etcd on %s; warming up\n", o.etcd_addr.c_str());
    WarmUpEtcd(o.etcd_addr, quick ? 1 : 5);
    RunScenarios(EtcdScenarios(), o, &report);
    notes += std::string(notes.empty() ? "" : "; ") +
             "etcd 3.4 one member on loopback through its v3 JSON gateway, data dir on the local disk";
  }
  std::printf("%s", report.Text().c_str());
  std::ofstream(out_path) << report.Markdown(commit, notes);
  std::fprintf(stderr, "table written to %s\n", out_path.c_str());
  return 0;
}

}  // namespace
}  // namespace bench
}  // namespace kreg

int main(int argc, char** argv) { return kreg::bench::Main(argc, argv); }
