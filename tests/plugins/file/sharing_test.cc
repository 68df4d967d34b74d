// One file shared by several registries, threads and processes.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <iostream>
#include <thread>

#include "file_test_util.h"

namespace kreg {
namespace file_test {
namespace {

using std::chrono::milliseconds;

TEST(FileSharing, TwoRegistriesSeeEachOther) {
  TempDir dir;
  const std::string path = dir.Join("registry.json");
  Registry a;
  Registry b;
  ASSERT_TRUE(OpenFileRegistry(path, &a).ok());
  ASSERT_TRUE(OpenFileRegistry(path, &b).ok());
  EventRecorder recorder;
  std::unique_ptr<Watch> watch;
  ASSERT_TRUE(b.StartWatch(recorder.Callback(), &watch).ok());
  ASSERT_TRUE(recorder.WaitForCount(1));  // SYNCED

  ASSERT_TRUE(a.Register(MakeInstance("svc", "from-a")).ok());
  ASSERT_TRUE(recorder.WaitFor([](const std::vector<WatchEvent>& seen) {
    return FindEvent(seen, EventType::kCreate, "svc", "from-a") >= 0;
  }));
  Service s;
  ASSERT_TRUE(b.GetService("svc", &s).ok());
  EXPECT_EQ(s.instance_count(), 1u);

  // b writes on top of what a wrote: nothing of a's is lost.
  int64_t created = s.version;
  ASSERT_TRUE(b.Register(MakeInstance("svc", "from-b")).ok());
  ASSERT_TRUE(a.GetService("svc", &s).ok());
  EXPECT_EQ(s.instance_count(), 2u);
  EXPECT_GT(s.version, created);
  int64_t both = s.version;

  // A keepalive from b of a's instance is a keepalive of the shared entry.
  ASSERT_TRUE(b.Register(MakeInstance("svc", "from-a")).ok());
  ASSERT_TRUE(a.GetService("svc", &s).ok());
  EXPECT_EQ(s.version, both);
  EXPECT_EQ(s.instances.at("z1").at("from-a")->data_version, 1);

  ASSERT_TRUE(a.Deregister("svc", "from-b").ok());
  ASSERT_TRUE(recorder.WaitFor([](const std::vector<WatchEvent>& seen) {
    return FindEvent(seen, EventType::kDelete, "svc", "from-b") >= 0;
  }));
  std::vector<WatchEvent> events = recorder.events();
  ASSERT_TRUE(a.GetService("svc", &s).ok());
  EXPECT_GT(events.back().version, both);
  EXPECT_EQ(events.back().version, s.version);
  EXPECT_EQ(FindEvent(events, EventType::kCreate, "svc", "from-a"), 1);
  EXPECT_EQ(FindEvent(events, EventType::kCreate, "svc", "from-b"), 2);
}

TEST(FileSharing, ConcurrentRegistersFromThreadsAllLand) {
  TempDir dir;
  const std::string path = dir.Join("registry.json");
  Registry r;
  ASSERT_TRUE(OpenFileRegistry(path, &r).ok());
  constexpr int kThreads = 8;
  constexpr int kEach = 40;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&r, t] {
      for (int i = 0; i < kEach; ++i) {
        std::string id = "t" + std::to_string(t) + "-" + std::to_string(i);
        Status s = r.Register(MakeInstance("svc" + std::to_string(i % 3), id));
        EXPECT_TRUE(s.ok()) << s.ToString();
      }
    });
  }
  for (std::thread& t : threads) t.join();
  std::vector<Service> all;
  ASSERT_TRUE(r.ListServices(&all).ok());
  size_t total = 0;
  for (const Service& s : all) total += s.instance_count();
  EXPECT_EQ(total, static_cast<size_t>(kThreads * kEach));
}

// Registers `count` instances named <prefix><n> through a registry of its
// own, then exits: 0 when all succeeded.
[[noreturn]] void RegisterInChild(const std::string& path, const std::string& prefix, int count) {
  Registry r;
  int failures = OpenFileRegistry(path, &r).ok() ? 0 : 1;
  for (int i = 0; i < count && failures == 0; ++i) {
    // A long lease: a slow (sanitizer) build must not see early ones expire.
    Status s = r.Register(MakeInstance("svc" + std::to_string(i % 4), prefix + std::to_string(i)),
                          {std::chrono::minutes(10), false});
    if (!s.ok()) ++failures;
  }
  _exit(failures == 0 ? 0 : 1);
}

TEST(FileSharing, TwoProcessesRegisterConcurrently) {
  TempDir dir;
  const std::string path = dir.Join("registry.json");
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
  // Each register rewrites the whole file, so the run grows with the square
  // of kEach; the sanitizers' slowdown made it CI's longest test by minutes.
  constexpr int kEach = 300;
#else
  constexpr int kEach = 1000;
#endif
  auto started = std::chrono::steady_clock::now();
  std::vector<pid_t> children;
  for (const char* prefix : {"p1-", "p2-"}) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) RegisterInChild(path, prefix, kEach);
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child failed, status " << status;
  }
  auto took = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - started);
  std::cout << "2 processes x " << kEach << " registers took " << took.count() << " ms\n";

  Registry r;
  ASSERT_TRUE(OpenFileRegistry(path, &r).ok());
  std::vector<Service> all;
  ASSERT_TRUE(r.ListServices(&all).ok());
  size_t total = 0;
  for (const Service& s : all) total += s.instance_count();
  EXPECT_EQ(total, static_cast<size_t>(2 * kEach));
}

}  // namespace
}  // namespace file_test
}  // namespace kreg
