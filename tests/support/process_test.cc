// The child-process helper under the load the fixtures put on it: tests
// start etcdctl and kregctl while the registry's threads allocate.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "support/process.h"
#include "support/temp_dir.h"

namespace kreg {
namespace testing {
namespace {

// A fork copies one thread; a lock another thread held (the allocator's)
// stays locked in the child forever, so the child may not allocate before
// exec and its environment is built in the parent. (Under ASan in CI an
// etcdctl once printed nothing and never exited, beside busy plugin
// threads, while the child still called setenv.) glibc's malloc makes
// itself safe across a fork, GCC 12's AddressSanitizer allocator does not:
// only the ASan stage can catch a child that allocates.
TEST(Process, StartsItsCommandWithItsEnvironmentWhileOtherThreadsAllocate) {
  TempDir dir;
  std::atomic<bool> stop{false};
  std::vector<std::thread> allocators;
  for (int t = 0; t < 2; ++t) {
    allocators.emplace_back([&stop] {
      while (!stop.load(std::memory_order_relaxed)) {
        // Sizes across the allocator's classes, so its shared pools and
        // (under AddressSanitizer) its quarantine are locked often.
        std::vector<std::unique_ptr<char[]>> held;
        for (size_t size = 16; size < (1 << 20); size *= 3) held.push_back(std::make_unique<char[]>(size));
        std::this_thread::yield();  // a loaded CI machine has other tests to run
      }
    });
  }
  int hung = 0, wrong = 0;
  for (int i = 0; i < 200; ++i) {
    const std::string value = "v" + std::to_string(i);
    RunResult r = RunProcess({"/usr/bin/env"}, dir.path(), {{"KREG_PROCESS_TEST", value}}, std::chrono::seconds(10));
    if (r.exit_code < 0) ++hung;
    else if (r.exit_code != 0 || r.out.find("KREG_PROCESS_TEST=" + value + "\n") == std::string::npos) ++wrong;
  }
  stop = true;
  for (std::thread& t : allocators) t.join();
  EXPECT_EQ(hung, 0) << "children that never reached exec";
  EXPECT_EQ(wrong, 0) << "children without their environment";
}

TEST(Process, KeepsTheParentsEnvironmentAndOverridesAVariableGiven) {
  TempDir dir;
  ASSERT_EQ(setenv("KREG_PROCESS_TEST_KEPT", "parent", 1), 0);
  ASSERT_EQ(setenv("KREG_PROCESS_TEST_SET", "parent", 1), 0);
  RunResult r = RunProcess({"/usr/bin/env"}, dir.path(), {{"KREG_PROCESS_TEST_SET", "child"}});
  unsetenv("KREG_PROCESS_TEST_KEPT");
  unsetenv("KREG_PROCESS_TEST_SET");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("KREG_PROCESS_TEST_KEPT=parent\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("KREG_PROCESS_TEST_SET=child\n"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("KREG_PROCESS_TEST_SET=parent"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace testing
}  // namespace kreg
