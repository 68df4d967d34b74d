#include "workload.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <thread>

#include "kreg/host/open.h"

namespace kreg {
namespace bench {

Instance SampleInstance(const std::string& service, const std::string& id) {
  Instance in;
  in.service_name = service;
  in.id = id;
  in.zone = "sh001";
  in.env = "prod";
  in.hostname = "host-" + id + ".example.internal";
  in.addrs = {{"http", "10.12.34.56:8080"}, {"rpc", "10.12.34.56:9000"}, {"grpc", "10.12.34.56:9090"}};
  in.metadata = {{"version", "1.4.2-20261125"}, {"weight", "100"}, {"cluster", "main"}, {"color", "blue"}};
  in.reg_time = in.update_time = 1764000000;
  return in;
}

std::string Id(int i) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "instance-%06d", i);
  return buf;
}

Registry OpenOrExit(const host::Config& config) {
  Registry registry;
  Status s = host::OpenRegistry(config, &registry);
  if (!s.ok()) {
    std::fprintf(stderr, "kreg-bench: cannot open the %s plugin: %s\n", config.plugin.c_str(), s.ToString().c_str());
    std::exit(1);
  }
  return registry;
}

host::Config BenchConfig(const Options& options, const std::string& plugin, const std::string& addr,
                         const std::string& root) {
  host::Config config;
  config.source = "kreg-bench";
  config.plugin = plugin;
  config.plugin_dir = options.plugin_dir;
  config.addrs = {addr};
  config.root = root;
  config.log_level = KREG_LOG_WARN;
  return config;
}

Status RegisterHeld(const Registry& registry, const Instance& instance) {
  RegisterOptions options;
  options.ttl = std::chrono::hours(1);
  return registry.Register(instance, options);
}

int RegisterHeldAsync(const Registry& registry, const std::string& service, int from, int to, int window) {
  RegisterOptions options;
  options.ttl = std::chrono::hours(1);
  std::mutex mu;
  std::condition_variable cv;
  int outstanding = 0;
  int failed = 0;
  for (int i = from; i < to; ++i) {
    {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [&] { return outstanding < window; });
      ++outstanding;
    }
    registry.RegisterAsync(SampleInstance(service, Id(i)), options, [&](const Status& s) {
      std::lock_guard<std::mutex> lock(mu);
      --outstanding;
      if (!s.ok()) ++failed;
      cv.notify_all();
    });
  }
  std::unique_lock<std::mutex> lock(mu);
  cv.wait(lock, [&] { return outstanding == 0; });
  return failed;
}

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }
double Micros(Clock::duration d) { return std::chrono::duration<double, std::micro>(d).count(); }

void InRounds(int n, const std::vector<Range>& sides) {
  const int rounds = 4;
  for (int r = 0; r < rounds; ++r) {
    for (const Range& side : sides) side(n * r / rounds, n * (r + 1) / rounds);
  }
}

void AlternateRounds(int n, const TimedRange& kreg, const TimedRange& baseline, double* kreg_rate,
                     double* baseline_rate) {
  Clock::duration kreg_time{}, baseline_time{};
  InRounds(n, {[&](int from, int to) { kreg_time += kreg(from, to); },
               [&](int from, int to) { baseline_time += baseline(from, to); }});
  *kreg_rate = n / Seconds(kreg_time);
  *baseline_rate = n / Seconds(baseline_time);
}

void SeenLog::Mark(const std::string& id) {
  Clock::time_point now = Clock::now();
  {
    std::lock_guard<std::mutex> lock(mu_);
    seen_.emplace(id, now);
  }
  marked_.notify_all();
}

double SeenLog::WaitMicros(const std::string& id, Clock::time_point since, Clock::duration timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  // The waiter sleeps instead of spinning: on a small machine a spinning
  // waiter takes the core the server and the watch need.
  if (!marked_.wait_until(lock, since + timeout, [&] { return seen_.count(id) > 0; })) return -1;
  return std::max(0.0, Micros(seen_[id] - since));
}

Clock::duration InThreads(int threads, int from, int to, const std::function<void(int thread, int i)>& work) {
  auto start = Clock::now();
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (int i = from + t; i < to; i += threads) work(t, i);
    });
  }
  for (auto& w : workers) w.join();
  return Clock::now() - start;
}

void TimeWatch(int from, int to, Clock::time_point deadline, const std::function<void(int)>& publish, SeenLog* log,
               std::vector<double>* after_return, std::vector<double>* after_call) {
  for (int i = from; i < to && Clock::now() < deadline; ++i) {
    Clock::time_point called = Clock::now();
    publish(i);
    const double call_us = Micros(Clock::now() - called);
    const double seen_us = log->WaitMicros(Id(i), called, std::chrono::seconds(5));
    if (seen_us < 0) continue;
    after_return->push_back(std::max(0.0, seen_us - call_us));
    if (after_call != nullptr) after_call->push_back(seen_us);
  }
}

RegistryWatchTimer::RegistryWatchTimer(const Registry& writer, const Registry& watcher) : writer_(writer) {
  (void)watcher.StartWatch(
      [this](const WatchEvent& e) {
        if (e.type == EventType::kSynced) synced_ = true;
        if (e.type == EventType::kCreate && e.info == EventInfo::kInstance) seen_.Mark(e.instance.id);
      },
      &watch_);
  while (!synced_) std::this_thread::sleep_for(std::chrono::milliseconds(10));
}

void RegistryWatchTimer::Time(int from, int to, Clock::time_point deadline, std::vector<double>* after_return,
                              std::vector<double>* after_call) {
  TimeWatch(
      from, to, deadline, [&](int i) { (void)RegisterHeld(writer_, SampleInstance("svc", Id(i))); }, &seen_,
      after_return, after_call);
}

GetServiceTimes TimeGetService(const Registry& registry, const std::string& service, int samples,
                               Clock::time_point deadline) {
  GetServiceTimes times;
  std::shared_ptr<const Service> out;
  (void)registry.GetService(service, &out);  // warm-up: fills a read cache
  for (int i = 0; i < samples && Clock::now() < deadline; ++i) {
    auto start = Clock::now();
    (void)registry.GetService(service, &out);
    times.unchanged_us.push_back(Micros(Clock::now() - start));
  }
  times.instances = out ? out->instance_count() : 0;
  for (int i = 0; i < samples / 5 && Clock::now() < deadline; ++i) {
    Instance extra = SampleInstance(service, "extra");
    (void)(i % 2 == 0 ? RegisterHeld(registry, extra) : registry.Deregister(service, extra.id));
    auto start = Clock::now();
    (void)registry.GetService(service, &out);
    times.changed_us.push_back(Micros(Clock::now() - start));
  }
  return times;
}

}  // namespace bench
}  // namespace kreg
