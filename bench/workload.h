// What the backend scenarios share: the sample instance they store, its
// ids, timing in alternating rounds, and the log a watch callback marks so
// that a scenario can time register -> event.
#ifndef KREG_BENCH_WORKLOAD_H_
#define KREG_BENCH_WORKLOAD_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "kreg/host/config.h"
#include "kreg/registry.hpp"
#include "kreg/types.hpp"
#include "scenarios.h"

namespace kreg {
namespace bench {

using Clock = std::chrono::steady_clock;

// About 300 bytes of stored JSON, like a real instance.
Instance SampleInstance(const std::string& service, const std::string& id);
// "instance-000042": ids that sort as they count.
std::string Id(int i);

// Opens a registry of `config`, or ends the benchmark with why it cannot.
Registry OpenOrExit(const host::Config& config);

// The common fields of a backend's config for the benchmark: kreg-bench's
// source and log level, the plugin directory of `options`.
host::Config BenchConfig(const Options& options, const std::string& plugin, const std::string& addr,
                         const std::string& root);

// Registers with a lease longer than the whole run: a lapsed lease makes
// a plugin delete its record, loading the server while the next scenario
// is measured.
Status RegisterHeld(const Registry& registry, const Instance& instance);
// RegisterHeld through Registry::RegisterAsync for ids [from, to) of
// `service`, keeping at most `window` outstanding; returns when every
// `done` ran, with how many failed.
int RegisterHeldAsync(const Registry& registry, const std::string& service, int from, int to, int window);

double Seconds(Clock::duration d);
double Micros(Clock::duration d);

// Splits [0, n) into rounds and has every side do each round in turn, so
// that no side gets the warmer server or the quieter minute.
using Range = std::function<void(int from, int to)>;
void InRounds(int n, const std::vector<Range>& sides);

// Times kreg's and the baseline's work on [0, n) in rounds (InRounds).
// Each side is given a range and returns how long its timed part took;
// the rates are per second.
using TimedRange = std::function<Clock::duration(int from, int to)>;
void AlternateRounds(int n, const TimedRange& kreg, const TimedRange& baseline, double* kreg_rate,
                     double* baseline_rate);

// When a watch saw each id: the watch's callback marks, the scenario
// waits. Thread-safe.
class SeenLog {
 public:
  void Mark(const std::string& id);
  // Microseconds from `since` until `id` was marked, waiting up to
  // `timeout` for it; negative when it was not marked in time.
  double WaitMicros(const std::string& id, Clock::time_point since, Clock::duration timeout);

 private:
  std::mutex mu_;
  std::condition_variable marked_;
  std::unordered_map<std::string, Clock::time_point> seen_;
};

// Runs work(t, i) on `threads` threads, thread t taking i = from + t,
// from + t + threads, ... below `to`; returns how long they took.
Clock::duration InThreads(int threads, int from, int to, const std::function<void(int thread, int i)>& work);

// Calls publish(i) for i in [from, to) while before `deadline`, and
// appends to *after_return how long after each publish returned `log` had
// Id(i) (0 when it had it sooner), and to *after_call, when given, how
// long after publish was called. An event not seen within 5 s is left out.
void TimeWatch(int from, int to, Clock::time_point deadline, const std::function<void(int)>& publish, SeenLog* log,
               std::vector<double>* after_return, std::vector<double>* after_call = nullptr);

// kreg's side of the watch latency: `watcher` watches from construction
// until destruction (synced before the constructor returns); Time has
// `writer` register Id(i) of "svc" one at a time, timed as TimeWatch does
// from the kCreate the watch callback gets.
class RegistryWatchTimer {
 public:
  RegistryWatchTimer(const Registry& writer, const Registry& watcher);
  void Time(int from, int to, Clock::time_point deadline, std::vector<double>* after_return,
            std::vector<double>* after_call = nullptr);

 private:
  const Registry writer_;
  SeenLog seen_;
  std::atomic<bool> synced_{false};
  std::unique_ptr<Watch> watch_;  // last: stopped before what its callback uses goes
};

// kreg's side of get_service: `samples` reads of an unchanged `service`
// after a warm-up read, then samples / 5 reads each right after this
// registry's own register or deregister of an extra instance (the price
// of a change), while before `deadline`.
struct GetServiceTimes {
  std::vector<double> unchanged_us;
  std::vector<double> changed_us;
  size_t instances = 0;  // in the last unchanged read
};
GetServiceTimes TimeGetService(const Registry& registry, const std::string& service, int samples,
                               Clock::time_point deadline);

}  // namespace bench
}  // namespace kreg

#endif  // KREG_BENCH_WORKLOAD_H_
