// What the backend scenarios share: the sample instance they store, its
// ids, timing in alternating rounds, and the log a watch callback marks so
// that a scenario can time register -> event.
#ifndef KREG_BENCH_WORKLOAD_H_
#define KREG_BENCH_WORKLOAD_H_

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "kreg/registry.hpp"
#include "kreg/types.hpp"

namespace kreg {
namespace bench {

using Clock = std::chrono::steady_clock;

// About 300 bytes of stored JSON, like a real instance.
Instance SampleInstance(const std::string& service, const std::string& id);
// "instance-000042": ids that sort as they count.
std::string Id(int i);

// Registers with a lease longer than the whole run: a lapsed lease makes
// a plugin delete its record, loading the server while the next scenario
// is measured.
Status RegisterHeld(const Registry& registry, const Instance& instance);

double Seconds(Clock::duration d);
double Micros(Clock::duration d);

// Times kreg's and the baseline's work on [0, n) in alternating rounds, so
// that neither side gets the warmer server. Each side is given a range and
// returns how long its timed part took; the rates are per second.
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

// Calls publish(i) for i in [0, n) while before `deadline`, and appends
// to *after_return how long after each publish returned `log` had Id(i)
// (0 when it had it sooner), and to *after_call, when given, how long
// after publish was called. An event not seen within 5 s is left out.
void TimeWatch(int n, Clock::time_point deadline, const std::function<void(int)>& publish, SeenLog* log,
               std::vector<double>* after_return, std::vector<double>* after_call = nullptr);

}  // namespace bench
}  // namespace kreg

#endif  // KREG_BENCH_WORKLOAD_H_
