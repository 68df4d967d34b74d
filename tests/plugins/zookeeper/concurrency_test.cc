// 16 threads registering, refreshing, keeping alive and deregistering
// through one Registry while a watch runs. Built with -DKREG_SANITIZE=thread
// this is the ThreadSanitizer check.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "support/process.h"
#include "zk_test_util.h"

namespace kreg {
namespace testing {
namespace {

TEST(ZooKeeperConcurrency, SixteenThreadsAndAWatch) {
  KREG_START_ZOOKEEPER(zk, 1);
  Registry r;
  OpenOptions o = ZkOptions(*zk);
  o.timeout = std::chrono::seconds(30);
  ASSERT_TRUE(OpenZk(o, &r).ok());
  EventRecorder rec;
  std::unique_ptr<Watch> w;
  ASSERT_TRUE(r.StartWatch(rec.Callback(), &w).ok());
  ASSERT_TRUE(rec.WaitSynced());

  constexpr int kThreads = 16;
  constexpr int kRounds = 25;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      RegisterOptions refresh;
      refresh.refresh = true;
      for (int i = 0; i < kRounds; ++i) {
        // Threads share services and, pairwise, ids: the same key is hit
        // from two threads at once.
        std::string service = "svc" + std::to_string(t % 4);
        std::string id = "i" + std::to_string((t / 2) * 100 + i % 5);
        Instance in = MakeInstance(service, id);
        in.hostname = "t" + std::to_string(t) + "-" + std::to_string(i);
        Status s;
        switch (i % 4) {
          case 0: s = r.Register(in); break;
          case 1: s = r.Register(in); break;  // a keepalive when held
          case 2: s = r.Register(in, refresh); break;
          case 3: s = r.Deregister(service, id); break;
        }
        if (!s.ok()) {
          ++failures;
          ADD_FAILURE() << s.ToString();
        }
        if (i % 5 == 0) {
          Service svc;
          Status g = r.GetService(service, &svc);
          if (!g.ok() && g.code() != KREG_NOT_FOUND) ADD_FAILURE() << g.ToString();
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);

  auto server = ServerView(r);
  ASSERT_TRUE(rec.WaitUntil([&](const EventRecorder::Model& m) { return ModelView(m) == server; },
                            std::chrono::seconds(60)))
      << "the watch's final state differs from the server's:\n" << DescribeDiff(server, ModelView(rec.model()));
  EXPECT_TRUE(rec.violations().empty()) << rec.violations()[0];
  w.reset();
}

// Concurrent first registers travel in shared batches (create_batcher.h);
// a node of another (live) session in the way fails its whole batch: every
// other register of that batch must still end with its own node, and the
// other session's nodes are left alone until they go.
TEST(ZooKeeperConcurrency, ConcurrentRegistersSurviveABatchThatFails) {
  KREG_START_ZOOKEEPER(zk, 1);
  auto other = std::make_unique<RawClient>(zk->connect_string());
  RawClient& raw = *other;
  ASSERT_TRUE(raw.connected());
  ASSERT_EQ(raw.CreateAll("/discovery/svc/instance", ""), ZOK);
  constexpr int kThreads = 16;
  constexpr int kPerThread = 20;
  auto id_of = [](int t, int i) { return "t" + std::to_string(t) + "-" + std::to_string(i); };
  for (int t = 0; t < kThreads; t += 3) {
    ASSERT_EQ(zoo_create(raw.handle(), ("/discovery/svc/instance/" + id_of(t, t % kPerThread)).c_str(), "{}", 2,
                         &ZOO_OPEN_ACL_UNSAFE, ZOO_EPHEMERAL, nullptr, 0),
              ZOK);
  }
  Registry r;
  OpenOptions o = ZkOptions(*zk);
  o.timeout = std::chrono::seconds(30);
  ASSERT_TRUE(OpenZk(o, &r).ok());
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        Status s = r.Register(MakeInstance("svc", id_of(t, i)));
        if (!s.ok()) ADD_FAILURE() << id_of(t, i) << ": " << s.ToString();
      }
    });
  }
  for (auto& t : threads) t.join();

  const int64_t raw_session = zoo_client_id(raw.handle())->client_id;
  auto theirs = [&](int t, int i) { return t % 3 == 0 && i == t % kPerThread; };
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kPerThread; ++i) {
      std::string data;
      Stat stat{};
      ASSERT_EQ(raw.Get("/discovery/svc/instance/" + id_of(t, i), &data, &stat), ZOK) << id_of(t, i);
      if (theirs(t, i)) {
        EXPECT_EQ(stat.ephemeralOwner, raw_session) << id_of(t, i) << ": another session's node was deleted";
        continue;
      }
      EXPECT_NE(stat.ephemeralOwner, raw_session) << id_of(t, i);
      EXPECT_NE(stat.ephemeralOwner, 0) << id_of(t, i);
      EXPECT_NE(data.find("host-" + id_of(t, i)), std::string::npos) << data;
    }
  }
  Service service;
  ASSERT_TRUE(r.GetService("svc", &service).ok());
  EXPECT_EQ(service.instance_count(), size_t{kThreads * kPerThread});

  // Their session ends: the registry's own nodes take their places.
  other.reset();
  RawClient check(zk->connect_string());
  ASSERT_TRUE(check.connected());
  for (int t = 0; t < kThreads; t += 3) {
    const std::string path = "/discovery/svc/instance/" + id_of(t, t % kPerThread);
    EXPECT_TRUE(WaitFor(
        [&] {
          Stat stat{};
          return check.Exists(path, &stat) == ZOK && stat.ephemeralOwner != raw_session;
        },
        std::chrono::seconds(5)))
        << path;
    std::string data;
    ASSERT_EQ(check.Get(path, &data), ZOK) << path;
    EXPECT_NE(data.find("host-" + id_of(t, t % kPerThread)), std::string::npos) << data;
  }
}

}  // namespace
}  // namespace testing
}  // namespace kreg
