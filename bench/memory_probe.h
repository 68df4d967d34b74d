// Resident memory of a process that holds a watch: measured in a child
// process of its own (this binary re-run with --memory-child), so the
// figure holds only what the watch keeps, not the rest of the benchmark.
#ifndef KREG_BENCH_MEMORY_PROBE_H_
#define KREG_BENCH_MEMORY_PROBE_H_

#include <string>

#include "scenarios.h"

namespace kreg {
namespace bench {

struct MemoryFigure {
  double rss_bytes = 0;  // growth of resident memory from open to synced
  int instances = 0;     // instances the watch reported before synced
};

MemoryFigure MeasureWatchMemory(const Options& options, const std::string& root);

// The child's side: open, watch until synced, print the figure. Returns
// the exit code.
int MemoryChildMain(const Options& options, const std::string& root);

}  // namespace bench
}  // namespace kreg

#endif  // KREG_BENCH_MEMORY_PROBE_H_
