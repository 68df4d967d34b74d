#include "workload.h"

#include <algorithm>
#include <cstdio>

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

Status RegisterHeld(const Registry& registry, const Instance& instance) {
  RegisterOptions options;
  options.ttl = std::chrono::hours(1);
  return registry.Register(instance, options);
}

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }
double Micros(Clock::duration d) { return std::chrono::duration<double, std::micro>(d).count(); }

void AlternateRounds(int n, const TimedRange& kreg, const TimedRange& baseline, double* kreg_rate,
                     double* baseline_rate) {
  const int rounds = 4;
  Clock::duration kreg_time{}, baseline_time{};
  for (int r = 0; r < rounds; ++r) {
    const int from = n * r / rounds, to = n * (r + 1) / rounds;
    kreg_time += kreg(from, to);
    baseline_time += baseline(from, to);
  }
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

void TimeWatch(int n, Clock::time_point deadline, const std::function<void(int)>& publish, SeenLog* log,
               std::vector<double>* after_return, std::vector<double>* after_call) {
  for (int i = 0; i < n && Clock::now() < deadline; ++i) {
    Clock::time_point called = Clock::now();
    publish(i);
    const double call_us = Micros(Clock::now() - called);
    const double seen_us = log->WaitMicros(Id(i), called, std::chrono::seconds(5));
    if (seen_us < 0) continue;
    after_return->push_back(std::max(0.0, seen_us - call_us));
    if (after_call != nullptr) after_call->push_back(seen_us);
  }
}

}  // namespace bench
}  // namespace kreg
