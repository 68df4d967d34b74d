// ABI overhead: a keepalive through the host, the C ABI and the plugin
// helper into a no-op plugin, against the same call on the same C++ class
// linked in directly.
#include <chrono>

#include "kreg/host/plugin_loader.h"
#include "kreg/registry.hpp"
#include "noop_backend.h"
#include "scenarios.h"

namespace kreg {
namespace bench {

namespace {

Instance SampleInstance() {
  Instance in;
  in.service_name = "bench.service";
  in.id = "instance-000001";
  in.zone = "sh001";
  in.env = "prod";
  in.hostname = "host-000001.example";
  in.addrs = {{"http", "10.0.0.1:8080"}, {"rpc", "10.0.0.1:9000"}};
  in.metadata = {{"version", "1.4.2"}, {"weight", "10"}};
  return in;
}

template <typename Call>
double NanosPerCall(int calls, Call call) {
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < calls; ++i) call();
  auto elapsed = std::chrono::steady_clock::now() - start;
  return std::chrono::duration<double, std::nano>(elapsed).count() / calls;
}

}  // namespace

void RunAbiOverhead(const Options& options, Report* report) {
  host::LoadedPlugin plugin;
  Status s = host::LoadPlugin(options.noop_plugin, {}, &plugin);
  Registry registry;
  if (s.ok()) s = Registry::Open(plugin.library, plugin.table, {}, &registry);
  if (!s.ok()) {
    std::fprintf(stderr, "abi overhead skipped: %s\n", s.ToString().c_str());
    return;
  }
  Instance in = SampleInstance();
  RegisterOptions ttl;

  // The baseline: a virtual call the compiler cannot see through.
  std::unique_ptr<plugin::Backend> direct;
  NoopBackend::Create(plugin::Config(), &direct);
  plugin::Backend* volatile backend = direct.get();

  // Warm up both paths before timing.
  NanosPerCall(options.abi_calls / 10, [&] { (void)registry.Register(in, ttl); });
  double via_abi = NanosPerCall(options.abi_calls, [&] { (void)registry.Register(in, ttl); });
  double direct_ns = NanosPerCall(options.abi_calls, [&] {
    if (!backend->Renew(in.service_name, in.id, ttl.ttl)) (void)backend->Register(in, ttl);
  });

  Row row;
  row.scenario = "ABI overhead (keepalive into no-op plugin)";
  row.unit = "ns/call";
  row.kreg = via_abi;
  row.baseline = direct_ns;
  row.higher_is_better = false;
  row.target = "overhead <= 100 ns";
  row.met = via_abi - direct_ns <= 100;
  report->Add(row);
}

}  // namespace bench
}  // namespace kreg
