// The etcd scenarios: kreg's etcd plugin against the raw libcurl client
// (raw_etcd.h) making the same HTTP calls to the same server, in the same
// run. Keys are laid out as the plugin lays them out:
// <root>/<service>/instance/<id>/ holding the instance's JSON.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>

#include "kreg/json_format.hpp"
#include "raw_etcd.h"
#include "scenarios.h"
#include "workload.h"

namespace kreg {
namespace bench {

namespace {

using std::chrono::milliseconds;

// Keys a paged range of the raw client asks for at once: as many as the
// plugin's reads ask for (plugins/etcd/src/kv.cc).
const int kRangePage = 5000;

Registry OpenEtcd(const Options& o, const std::string& root) { return OpenOrExit(EtcdConfig(o, root)); }

// "/kreg-bench-<pid>/<name>": a root no earlier run used, so that a run on
// an etcd of one's own (--etcd) finds neither keys nor history there.
std::string Root(const std::string& name) { return "/kreg-bench-" + std::to_string(getpid()) + "/" + name; }

std::string InstanceKey(const std::string& root, const std::string& service, const std::string& id) {
  return root + "/" + service + "/instance/" + id + "/";
}

// The raw client's lease: longer than the run, so it needs no keepalive
// while it is measured (kreg's plugin keeps its own lease alive from a
// thread of its own).
int64_t LongLease(RawEtcd* raw) { return raw->GrantLease(3600); }

// What kreg's read must do with a range's answer: decode every instance
// value with the stored-JSON codec; other keys (a service's property) are
// skipped. Returns how many instances decoded.
size_t DecodeInstances(const std::vector<KeyValue>& kvs, std::map<std::string, std::vector<Instance>>* by_service) {
  size_t decoded = 0;
  for (const KeyValue& kv : kvs) {
    if (kv.key.find("/instance/") == std::string::npos) continue;
    Instance in;
    if (!format::DecodeInstance(kv.value, kv.key, &in).ok()) continue;
    (*by_service)[in.service_name].push_back(std::move(in));
    ++decoded;
  }
  return decoded;
}

void RegisterThroughput(const Options& o, Report* report) {
  const int n = o.register_n;
  const std::string payload = format::EncodeInstance(SampleInstance("svc", Id(0)));
  // 1 thread: kreg's register against the raw client's put-if-absent with
  // its lease, the transaction the plugin sends.
  double kreg_rate, raw_rate;
  {
    Registry registry = OpenEtcd(o, Root("register1-kreg"));
    const std::string raw_root = Root("register1-raw");
    RawEtcd raw(o.etcd_addr);
    const int64_t lease = LongLease(&raw);
    AlternateRounds(
        n,
        [&](int from, int to) {
          auto start = Clock::now();
          for (int i = from; i < to; ++i) (void)RegisterHeld(registry, SampleInstance("svc", Id(i)));
          return Clock::now() - start;
        },
        [&](int from, int to) {
          auto start = Clock::now();
          for (int i = from; i < to; ++i) raw.PutIfAbsent(InstanceKey(raw_root, "svc", Id(i)), payload, lease);
          return Clock::now() - start;
        },
        &kreg_rate, &raw_rate);
    raw.Revoke(lease);
  }
  report->Add(Row{"etcd register, 1 thread [N=" + std::to_string(n) + "]", "ops/s", kreg_rate, raw_rate, ">= 0.9x",
                  true, kreg_rate >= 0.9 * raw_rate});

  // 16 threads: one kreg registry shared by them against 16 raw
  // connections, one a thread, each putting its share synchronously.
  const int threads = 16;
  {
    Registry registry = OpenEtcd(o, Root("register16-kreg"));
    const std::string raw_root = Root("register16-raw");
    std::vector<std::unique_ptr<RawEtcd>> raws;
    for (int t = 0; t < threads; ++t) raws.push_back(std::make_unique<RawEtcd>(o.etcd_addr));
    const int64_t lease = LongLease(raws[0].get());
    AlternateRounds(
        n,
        [&](int from, int to) {
          return InThreads(threads, from, to,
                           [&](int, int i) { (void)RegisterHeld(registry, SampleInstance("svc", Id(i))); });
        },
        [&](int from, int to) {
          return InThreads(threads, from, to, [&](int t, int i) {
            raws[t]->PutIfAbsent(InstanceKey(raw_root, "svc", Id(i)), payload, lease);
          });
        },
        &kreg_rate, &raw_rate);
    raws[0]->Revoke(lease);
  }
  report->Add(Row{"etcd register, 16 threads [N=" + std::to_string(n) + "]", "ops/s", kreg_rate, raw_rate,
                  ">= 0.9x", true, kreg_rate >= 0.9 * raw_rate});
}

// kreg's keepalive (a register of an instance this registry holds) sends
// nothing: the plugin's one lease is kept alive by its own thread. The raw
// figure is what one client-driven keepalive costs: a POST
// /v3/lease/keepalive, which etcd answers from the leader without a write.
void Keepalive(const Options& o, Report* report) {
  Registry registry = OpenEtcd(o, Root("keepalive"));
  Instance in = SampleInstance("svc", Id(1));
  (void)RegisterHeld(registry, in);
  const int calls = o.abi_calls / 5;
  auto start = Clock::now();
  for (int i = 0; i < calls; ++i) (void)RegisterHeld(registry, in);
  double kreg_rate = calls / Seconds(Clock::now() - start);

  RawEtcd raw(o.etcd_addr);
  const int64_t lease = LongLease(&raw);
  const int raw_calls = o.register_n;
  auto deadline = Clock::now() + o.deadline_per_scenario;
  int done = 0;
  start = Clock::now();
  for (; done < raw_calls && Clock::now() < deadline; ++done) raw.KeepAlive(lease);
  double raw_rate = done / Seconds(Clock::now() - start);
  raw.Revoke(lease);
  report->Add(Row{"etcd keepalive, 1 thread (kreg: no etcd call; raw: one lease keepalive POST)", "ops/s", kreg_rate,
                  raw_rate, "", true, true});
}

// Registers one instance at a time and times how long after register
// returns another registry's watch has it; raw: how long after the
// put-if-absent returns a raw watch stream has it (decoded, as kreg must).
// etcd sends a watch its event about when it answers the write, so the
// raw figure is often 0; the time from the call is given beside it. The
// two take turns (InRounds).
void WatchLatency(const Options& o, Report* report) {
  const int n = o.watch_events;
  std::vector<double> kreg_us, raw_us, kreg_call_us, raw_call_us;
  {
    Registry writer = OpenEtcd(o, Root("watch-kreg"));
    Registry watcher = OpenEtcd(o, Root("watch-kreg"));
    RegistryWatchTimer kreg(writer, watcher);
    RawEtcd raw_writer(o.etcd_addr);
    const int64_t lease = LongLease(&raw_writer);
    const std::string root = Root("watch-raw");
    SeenLog seen;
    RawEtcdWatch watch(o.etcd_addr, root + "/", 0, [&](const std::string& key, const std::string& value) {
      Instance in;
      if (format::DecodeInstance(value, key, &in).ok()) seen.Mark(in.id);
    });
    auto raw_put = [&](int i) {
      const Instance in = SampleInstance("svc", Id(i));
      raw_writer.PutIfAbsent(InstanceKey(root, "svc", in.id), format::EncodeInstance(in), lease);
    };
    const Clock::time_point deadline = Clock::now() + o.deadline_per_scenario;
    InRounds(n, {[&](int from, int to) { kreg.Time(from, to, deadline, &kreg_us, &kreg_call_us); },
                 [&](int from, int to) { TimeWatch(from, to, deadline, raw_put, &seen, &raw_us, &raw_call_us); }});
    raw_writer.Revoke(lease);
  }
  // The target is on the time from the write's call: after the write
  // returns the raw stream has usually had the event already (0 us), and
  // no ratio against 0 means anything.
  const double k50 = Percentile(&kreg_call_us, 50), r50 = Percentile(&raw_call_us, 50);
  std::string count = " [" + std::to_string(kreg_us.size()) + "/" + std::to_string(raw_us.size()) + " events]";
  report->Add(Row{"etcd watch latency p50 after the write returns (raw decodes the value too)" + count, "us",
                  Percentile(&kreg_us, 50), Percentile(&raw_us, 50), "", false, true});
  report->Add(Row{"etcd watch latency p99 after the write returns", "us", Percentile(&kreg_us, 99),
                  Percentile(&raw_us, 99), "", false, true});
  report->Add(Row{"etcd watch latency p50 from the write's call", "us", k50, r50, "<= 1.2x", false, k50 <= 1.2 * r50});
  report->Add(Row{"etcd watch latency p99 from the write's call", "us", Percentile(&kreg_call_us, 99),
                  Percentile(&raw_call_us, 99), "", false, true});
}

// Fills <root>/<service>/instance/ with `count` instances under `lease`.
void Populate(RawEtcd* raw, int64_t lease, const std::string& root, const std::string& service, int count) {
  std::vector<KeyValue> pairs;
  for (int i = 0; i < count; ++i) {
    pairs.push_back({InstanceKey(root, service, Id(i)), format::EncodeInstance(SampleInstance(service, Id(i)))});
  }
  raw->PutBatch(pairs, lease);
}

void GetService(const Options& o, Report* report) {
  RawEtcd raw(o.etcd_addr);
  const int64_t lease = LongLease(&raw);
  const std::string root = Root("get");
  const int size = o.get_largest;
  const std::string service = "svc" + std::to_string(size);
  Populate(&raw, lease, root, service, size);

  Registry registry = OpenEtcd(o, root);
  const int samples = 50;
  auto deadline = Clock::now() + o.deadline_per_scenario / 3;
  // After a change the read waits for the mirror to have the write, and
  // the plugin builds the service again.
  GetServiceTimes kreg = TimeGetService(registry, service, samples, deadline);
  std::vector<double> raw_us;
  size_t decoded = 0;
  for (int i = 0; i < samples && Clock::now() < deadline + o.deadline_per_scenario / 3; ++i) {
    auto start = Clock::now();
    std::map<std::string, std::vector<Instance>> by_service;
    decoded = DecodeInstances(raw.RangePrefix(root + "/" + service + "/", 0), &by_service);
    raw_us.push_back(Micros(Clock::now() - start));
  }
  raw.Revoke(lease);
  double k50 = Percentile(&kreg.unchanged_us, 50), r50 = Percentile(&raw_us, 50);
  double k99 = Percentile(&kreg.unchanged_us, 99), r99 = Percentile(&raw_us, 99);
  std::string name = "etcd get_service " + std::to_string(size) + " instances";
  if (kreg.instances != static_cast<size_t>(size) || decoded != static_cast<size_t>(size)) {
    name += " (kreg got " + std::to_string(kreg.instances) + ", raw " + std::to_string(decoded) + "!)";
  }
  report->Add(Row{name + " p50 (raw: range + decode)", "us", k50, r50, "p50 <= 1 ms", false, k50 <= 1000});
  report->Add(Row{name + " p99", "us", k99, r99, "", false, true});
  report->Add(Row{name + " p50, read after a change", "us", Percentile(&kreg.changed_us, 50), r50, "", false, true});
}

void ListServices(const Options& o, Report* report) {
  RawEtcd raw(o.etcd_addr);
  const int64_t lease = LongLease(&raw);
  const std::string root = Root("list");
  const int per_service = o.list_instances / o.list_services;
  for (int s = 0; s < o.list_services; ++s) {
    char service[32];
    std::snprintf(service, sizeof(service), "svc-%04d", s);
    Populate(&raw, lease, root, service, per_service);
  }
  const int total = per_service * o.list_services;

  Registry registry = OpenEtcd(o, root);
  std::vector<Service> services;
  // The first read starts the plugin's mirror: a range, then the watch
  // replaying the store's history until it has that range.
  auto first = Clock::now();
  (void)registry.ListServices(&services);
  const double first_ms = Micros(Clock::now() - first) / 1000;
  // Alternating rounds, the best of each: a pause of the server in one
  // round says nothing about either side.
  double kreg_ms = 0, raw_ms = 0;
  size_t listed = 0, decoded = 0;
  for (int round = 0; round < 3; ++round) {
    auto start = Clock::now();
    (void)registry.ListServices(&services);
    double ms = Micros(Clock::now() - start) / 1000;
    kreg_ms = round == 0 ? ms : std::min(kreg_ms, ms);
    listed = 0;
    for (const auto& s : services) listed += s.instance_count();

    start = Clock::now();
    std::map<std::string, std::vector<Instance>> by_service;
    decoded = DecodeInstances(raw.RangePrefix(root + "/", kRangePage), &by_service);
    ms = Micros(Clock::now() - start) / 1000;
    raw_ms = round == 0 ? ms : std::min(raw_ms, ms);
  }
  raw.Revoke(lease);
  std::string name = "etcd list_services " + std::to_string(total) + " instances / " +
                     std::to_string(o.list_services) + " services (raw: ranges of " + std::to_string(kRangePage) +
                     " + decode)";
  if (listed != static_cast<size_t>(total) || decoded != static_cast<size_t>(total)) {
    name += " (kreg listed " + std::to_string(listed) + ", raw " + std::to_string(decoded) + "!)";
  }
  report->Add(Row{name, "ms", kreg_ms, raw_ms, "<= 1.2x", false, kreg_ms <= 1.2 * raw_ms});
  report->Add(Row{"etcd list_services, a new registry's first call (starts its mirror)", "ms", first_ms, raw_ms, "",
                  false, true});
}

}  // namespace

host::Config EtcdConfig(const Options& o, const std::string& root) {
  host::Config config = BenchConfig(o, "etcd", o.etcd_addr, root);
  config.timeout = std::chrono::seconds(5);
  config.options["session_timeout"] = "10s";
  return config;
}

const std::vector<NamedScenario>& EtcdScenarios() {
  static const std::vector<NamedScenario> scenarios = {{"register", &RegisterThroughput},
                                                       {"keepalive", &Keepalive},
                                                       {"watch", &WatchLatency},
                                                       {"get", &GetService},
                                                       {"list", &ListServices}};
  return scenarios;
}

}  // namespace bench
}  // namespace kreg
