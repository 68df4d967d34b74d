// The registry's lock held by another process, perhaps a stopped one:
// writers give up after the timeout naming the lock and its holder, and
// readers never wait for it.
#include <gtest/gtest.h>
#include <signal.h>

#include <functional>
#include <future>
#include <memory>
#include <thread>

#include "file_test_util.h"
#include "support/lock_holder.h"

namespace kreg {
namespace file_test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::LockHolder;

// Whether an operation ended within its limit, and how.
struct Outcome {
  bool in_time;
  Status status;
};

class FileLockTimeoutTest : public ::testing::Test {
 protected:
  void Open(milliseconds timeout) { ASSERT_TRUE(OpenFileRegistryWithTimeout(path_, timeout, &registry_).ok()); }

  // Another process takes the lock and is stopped.
  void StopAHolderOfTheLock() {
    holder_ = std::make_unique<LockHolder>(path_ + ".lock", dir_.path());
    ASSERT_TRUE(holder_->WaitUntilHeld());
    holder_->process().Signal(SIGSTOP);
  }

  // Runs `op` on a thread and waits up to `limit` for it. When it is still
  // running then, the holder is killed so that the thread can finish.
  Outcome RunWithin(milliseconds limit, const std::function<Status()>& op) {
    std::future<Status> done = std::async(std::launch::async, op);
    bool in_time = done.wait_for(limit) == std::future_status::ready;
    if (!in_time) holder_->process().Signal(SIGKILL);
    return {in_time, done.get()};
  }

  TempDir dir_;
  const std::string path_ = dir_.Join("registry.json");
  Registry registry_;
  EventRecorder recorder_;
  std::unique_ptr<Watch> watch_;
  // Dies first, so that a sweep waiting for the lock ends before the watch
  // is stopped.
  std::unique_ptr<LockHolder> holder_;
};

TEST_F(FileLockTimeoutTest, WritersGiveUpNamingTheLockFileAndItsHolder) {
  Open(milliseconds(500));
  StopAHolderOfTheLock();
  const std::string pid = std::to_string(holder_->process().pid());

  Outcome reg = RunWithin(seconds(20), [&] { return registry_.Register(MakeInstance("svc", "a")); });
  ASSERT_TRUE(reg.in_time) << "register waited for the stopped holder far past its 500ms timeout";
  EXPECT_EQ(reg.status.code(), KREG_TIMEOUT) << reg.status.ToString();
  EXPECT_NE(reg.status.message().find(path_ + ".lock"), std::string::npos) << reg.status.ToString();
  EXPECT_NE(reg.status.message().find("pid " + pid), std::string::npos) << reg.status.ToString();

  Outcome dereg = RunWithin(seconds(20), [&] { return registry_.Deregister("svc", "a"); });
  ASSERT_TRUE(dereg.in_time);
  EXPECT_EQ(dereg.status.code(), KREG_TIMEOUT) << dereg.status.ToString();
  Property p;
  p.service_name = "svc";
  Outcome prop = RunWithin(seconds(20), [&] { return registry_.SetProperty(p); });
  ASSERT_TRUE(prop.in_time);
  EXPECT_EQ(prop.status.code(), KREG_TIMEOUT) << prop.status.ToString();
}

TEST_F(FileLockTimeoutTest, ThreadsQueuedBehindAWaitingWriterGiveUpToo) {
  Open(milliseconds(500));
  StopAHolderOfTheLock();
  // Every writer of the process but one waits for that one first.
  Outcome all = RunWithin(seconds(20), [&] {
    std::vector<std::future<Status>> writers;
    for (int i = 0; i < 4; ++i) {
      writers.push_back(std::async(std::launch::async, [this, i] {
        return registry_.Register(MakeInstance("svc", "t" + std::to_string(i)));
      }));
    }
    for (auto& w : writers) {
      Status s = w.get();
      if (s.code() != KREG_TIMEOUT || s.message().find(".lock") == std::string::npos) {
        return Status::Internal("a writer ended with " + s.ToString());
      }
    }
    return Status::OK();
  });
  ASSERT_TRUE(all.in_time) << "writers queued in the process waited past the timeout";
  EXPECT_TRUE(all.status.ok()) << all.status.ToString();
}

TEST_F(FileLockTimeoutTest, ReadsAnswerWhileTheWatchSweepAndAWriterWaitForTheLock) {
  Open(seconds(60));
  const auto short_lease_ends = std::chrono::steady_clock::now() + milliseconds(1500);
  ASSERT_TRUE(registry_.Register(MakeInstance("svc", "short"), {milliseconds(1500), false}).ok());
  ASSERT_TRUE(registry_.Register(MakeInstance("svc", "long"), {seconds(60), false}).ok());
  ASSERT_TRUE(registry_.StartWatch(recorder_.Callback(), &watch_).ok());
  ASSERT_TRUE(recorder_.WaitFor([](const std::vector<WatchEvent>& seen) {
    return FindEvent(seen, EventType::kCreate, "svc", "short") >= 0 && seen.back().type == EventType::kSynced;
  }));
  std::shared_ptr<const Service> shared_before;
  ASSERT_TRUE(registry_.GetService("svc", &shared_before).ok());
  StopAHolderOfTheLock();
  // A writer waits for the lock, and once the short lease ends the watch's
  // sweep waits for it too.
  std::future<Status> writer =
      std::async(std::launch::async, [&] { return registry_.Register(MakeInstance("svc", "w")); });
  std::this_thread::sleep_until(short_lease_ends + milliseconds(500));

  Service s;
  Outcome get = RunWithin(seconds(3), [&] { return registry_.GetService("svc", &s); });
  EXPECT_TRUE(get.in_time) << "GetService waited for the lock";
  EXPECT_TRUE(get.status.ok()) << get.status.ToString();
  EXPECT_EQ(s.instance_count(), 1u) << "the lapsed lease is hidden, the long one shown";
  std::shared_ptr<const Service> shared_after;
  Outcome shared_get = RunWithin(seconds(3), [&] { return registry_.GetService("svc", &shared_after); });
  EXPECT_TRUE(shared_get.in_time) << "the shared-snapshot GetService waited for the lock";
  ASSERT_TRUE(shared_get.status.ok()) << shared_get.status.ToString();
  EXPECT_EQ(shared_after->instance_count(), 1u) << "never \"unchanged\" for a service whose content differs";
  std::vector<Service> all;
  Outcome list = RunWithin(seconds(3), [&] { return registry_.ListServices(&all); });
  EXPECT_TRUE(list.in_time) << "ListServices waited for the lock";
  EXPECT_TRUE(list.status.ok()) << list.status.ToString();

  // Once the holder is gone the waiting writes go through.
  holder_->process().Signal(SIGKILL);
  EXPECT_EQ(holder_->process().Wait(seconds(10)), 128 + SIGKILL);
  EXPECT_TRUE(writer.get().ok());
  EXPECT_TRUE(recorder_.WaitFor([](const std::vector<WatchEvent>& seen) {
    return FindEvent(seen, EventType::kDelete, "svc", "short") >= 0 &&
           FindEvent(seen, EventType::kCreate, "svc", "w") >= 0;
  }));
}

}  // namespace
}  // namespace file_test
}  // namespace kreg
