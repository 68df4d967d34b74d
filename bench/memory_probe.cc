#include "memory_probe.h"

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <thread>

#include "kreg/host/open.h"

namespace kreg {
namespace bench {

namespace {

double ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  long pages_total = 0, pages_resident = 0;
  statm >> pages_total >> pages_resident;
  return static_cast<double>(pages_resident) * sysconf(_SC_PAGESIZE);
}

}  // namespace

MemoryFigure MeasureWatchMemory(const Options& o, const std::string& root) {
  MemoryFigure figure;
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) return figure;
  pid_t pid = fork();
  if (pid == 0) {
    dup2(pipe_fds[1], 1);
    close(pipe_fds[0]);
    execl("/proc/self/exe", "kreg-bench", "--memory-child", "--zk", o.zk_connect.c_str(), "--root", root.c_str(),
          "--plugin-dir", o.plugin_dir.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(pipe_fds[1]);
  FILE* in = fdopen(pipe_fds[0], "r");
  if (in == nullptr || std::fscanf(in, "instances=%d rss=%lf", &figure.instances, &figure.rss_bytes) != 2) {
    std::fprintf(stderr, "kreg-bench: the memory probe printed nothing usable\n");
  }
  if (in != nullptr) std::fclose(in);
  int status = 0;
  waitpid(pid, &status, 0);
  return figure;
}

int MemoryChildMain(const Options& o, const std::string& root) {
  Registry registry;
  Status s = host::OpenRegistry(ZooKeeperConfig(o, root), &registry);
  if (!s.ok()) {
    std::fprintf(stderr, "memory probe: %s\n", s.ToString().c_str());
    return 1;
  }
  double before = ResidentBytes();
  std::atomic<int> instances{0};
  std::atomic<bool> synced{false};
  std::unique_ptr<Watch> watch;
  s = registry.StartWatch(
      [&](const WatchEvent& e) {
        if (e.type == EventType::kCreate && e.info == EventInfo::kInstance) instances.fetch_add(1);
        if (e.type == EventType::kSynced) synced = true;
      },
      &watch);
  if (!s.ok()) return 1;
  for (int i = 0; i < 6000 && !synced; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  // Let the dispatcher's queue drain back to steady state.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  std::printf("instances=%d rss=%.0f\n", instances.load(), ResidentBytes() - before);
  std::fflush(stdout);
  return 0;
}

}  // namespace bench
}  // namespace kreg
