// A 3-node ensemble losing its leader while instances are being registered.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "support/process.h"
#include "zk_test_util.h"

namespace kreg {
namespace testing {
namespace {

TEST(ZooKeeperEnsemble, KillingTheLeaderLosesNothingRegistered) {
  KREG_START_ZOOKEEPER(zk, 3);
  int leader = zk->Leader();
  ASSERT_GE(leader, 0);
  OpenOptions o = ZkOptions(*zk);
  o.options["session_timeout"] = "15s";  // outlives a leader election
  o.timeout = std::chrono::seconds(45);
  Registry r;
  ASSERT_TRUE(OpenZk(o, &r).ok());
  EventRecorder rec;
  std::unique_ptr<Watch> w;
  ASSERT_TRUE(r.StartWatch(rec.Callback(), &w).ok());
  ASSERT_TRUE(rec.WaitSynced());

  constexpr int kCount = 120;
  std::atomic<int> registered{0};
  std::vector<Status> results(kCount);
  std::thread writer([&] {
    for (int i = 0; i < kCount; ++i) {
      results[i] = r.Register(MakeInstance("svc", "i" + std::to_string(i)));
      registered.store(i + 1);
      std::this_thread::sleep_for(std::chrono::milliseconds(5));  // spread them over the election
    }
  });
  EXPECT_TRUE(WaitFor([&] { return registered.load() >= 20; }, std::chrono::seconds(60)));
  zk->Kill(leader);
  int at_kill = registered.load();
  writer.join();
  EXPECT_LT(at_kill, kCount) << "the leader died while registering";
  for (int i = 0; i < kCount; ++i) EXPECT_TRUE(results[i].ok()) << "i" << i << ": " << results[i].ToString();

  int new_leader = -1;
  EXPECT_TRUE(WaitFor(
      [&] {
        new_leader = zk->Leader();
        return new_leader >= 0;
      },
      std::chrono::seconds(60)));
  EXPECT_NE(new_leader, leader);

  Service svc;
  ASSERT_TRUE(r.GetService("svc", &svc).ok());
  EXPECT_EQ(svc.instance_count(), static_cast<size_t>(kCount));
  RawClient raw(zk->addr(new_leader));
  ASSERT_TRUE(raw.connected());
  std::vector<std::string> children;
  ASSERT_EQ(raw.Children("/discovery/svc/instance", &children), ZOK);
  EXPECT_EQ(children.size(), static_cast<size_t>(kCount));

  auto server = ServerView(r);
  EXPECT_TRUE(rec.WaitUntil([&](const EventRecorder::Model& m) { return ModelView(m) == server; }))
      << "the watch's final state differs from the server's:\n" << DescribeDiff(server, ModelView(rec.model()));
  EXPECT_TRUE(rec.violations().empty()) << rec.violations()[0];
}

}  // namespace
}  // namespace testing
}  // namespace kreg
