// The file backend: register rate and get_service latency as the file
// grows to `file_instances`. Every register rewrites the whole file (that
// is what makes it crash-safe), so the rate falls as the file grows; the
// rate is taken over the last tenth of the instances registered before
// the count or the deadline was reached. No baseline: no other client
// writes this format.
#include <algorithm>
#include <cstdio>

#include "kreg/host/open.h"
#include "scenarios.h"

namespace kreg {
namespace bench {

void RunFileBackend(const Options& o, Report* report) {
  using Clock = std::chrono::steady_clock;
  host::Config config;
  config.source = "kreg-bench";
  config.plugin = "file";
  config.plugin_dir = o.plugin_dir;
  config.options["path"] = o.work_dir + "/registry.json";
  config.log_level = KREG_LOG_WARN;
  Registry registry;
  Status s = host::OpenRegistry(config, &registry);
  if (!s.ok()) {
    std::fprintf(stderr, "file backend skipped: %s\n", s.ToString().c_str());
    return;
  }
  const int n = o.file_instances;
  auto deadline = Clock::now() + o.deadline_per_scenario;
  std::vector<double> register_seconds;
  int registered = 0;
  for (int i = 0; i < n && Clock::now() < deadline; ++i) {
    Instance in;
    in.service_name = "svc";
    in.id = "instance-" + std::to_string(i);
    in.zone = "sh001";
    in.addrs = {{"http", "10.0.0.1:8080"}};
    in.metadata = {{"version", "1.4.2"}};
    in.reg_time = in.update_time = 1764000000;
    RegisterOptions options;
    options.ttl = std::chrono::minutes(30);
    auto start = Clock::now();
    if (!registry.Register(in, options).ok()) break;
    register_seconds.push_back(std::chrono::duration<double>(Clock::now() - start).count());
    ++registered;
  }
  size_t tail = std::max<size_t>(1, register_seconds.size() / 10);
  double seconds = 0;
  for (size_t i = register_seconds.size() - std::min(tail, register_seconds.size()); i < register_seconds.size(); ++i) {
    seconds += register_seconds[i];
  }
  double rate = seconds > 0 ? tail / seconds : 0;

  std::vector<double> get_us;
  Service service;
  for (int i = 0; i < 50; ++i) {
    auto start = Clock::now();
    (void)registry.GetService("svc", &service);
    get_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
  }
  std::string size = " at " + std::to_string(registered) + " instances";
  report->Add(Row{"file backend register" + size, "ops/s", rate, 0, "", true, true});
  report->Add(Row{"file backend get_service p50" + size, "us", Percentile(&get_us, 50), 0, "", false, true});
}

}  // namespace bench
}  // namespace kreg
