// Surviving the server: a restart with the same data dir, and a session
// that expires while the server is frozen (SIGSTOP longer than the session
// timeout, then SIGCONT).
#include <gtest/gtest.h>

#include <thread>

#include "support/process.h"
#include "zk_test_util.h"

namespace kreg {
namespace testing {
namespace {

int64_t Owner(RawClient& raw, const std::string& path) {
  Stat stat{};
  return raw.Exists(path, &stat) == ZOK ? stat.ephemeralOwner : -1;
}

TEST(ZooKeeperSession, ServerRestartWithTheSameDataDir) {
  KREG_START_ZOOKEEPER(zk, 1);
  Registry r;
  OpenOptions o = ZkOptions(*zk);
  // Long enough to outlive the restart: the session, and its nodes, survive.
  o.options["session_timeout"] = "20s";
  // A JVM restart on a loaded machine (or under sanitizers) can take most
  // of the default 10 s before the client is back in.
  o.timeout = std::chrono::seconds(30);
  LogCapture log;
  o.log = log.Sink();
  o.log_level = KREG_LOG_DEBUG;
  ASSERT_TRUE(OpenZk(o, &r).ok());
  ASSERT_TRUE(r.Register(MakeInstance("svc", "a")).ok());
  ASSERT_TRUE(r.Register(MakeInstance("svc", "b")).ok());
  EventRecorder rec;
  std::unique_ptr<Watch> w;
  ASSERT_TRUE(r.StartWatch(rec.Callback(), &w).ok());
  ASSERT_TRUE(rec.WaitSynced());

  std::string error;
  ASSERT_TRUE(zk->Restart(0, &error)) << error;

  // Operations work again (retried within the timeout), and the watch resumes.
  Status registered = r.Register(MakeInstance("svc", "c"));
  ASSERT_TRUE(registered.ok()) << registered.ToString() << "\n" << log.All();
  ASSERT_TRUE(rec.WaitUntil([](const EventRecorder::Model& m) {
    return m.instances.count("svc") != 0 && m.instances.at("svc").count("c") != 0;
  })) << log.All();
  EXPECT_EQ(rec.count(EventType::kDelete, EventInfo::kInstance), 0u)
      << "nothing was deleted: the disconnection must not be reported as deletes";
  ASSERT_TRUE(r.Deregister("svc", "a").ok());
  RawClient raw(zk->connect_string());
  ASSERT_TRUE(raw.connected());
  EXPECT_TRUE(WaitFor([&] { return raw.Exists("/discovery/svc/instance/b") == ZOK; }, std::chrono::seconds(30)))
      << "the instance came back";
  auto server = ServerView(r);
  ASSERT_EQ(server["svc"].size(), 2u);
  ASSERT_TRUE(rec.WaitUntil([&](const EventRecorder::Model& m) { return ModelView(m) == server; }))
      << "the watch's final state differs from the server's:\n" << DescribeDiff(server, ModelView(rec.model()));
  EXPECT_TRUE(rec.violations().empty()) << rec.violations()[0];
}

TEST(ZooKeeperSession, ExpiryRecreatesInstancesAndTheWatchCatchesUp) {
  KREG_START_ZOOKEEPER(zk, 1);
  OpenOptions o = ZkOptions(*zk);
  o.options["session_timeout"] = "2s";
  o.timeout = std::chrono::seconds(20);
  LogCapture log;
  o.log = log.Sink();
  o.log_level = KREG_LOG_DEBUG;
  Registry owner;
  ASSERT_TRUE(OpenZk(o, &owner).ok());
  Registry watcher;
  ASSERT_TRUE(OpenZk(o, &watcher).ok());

  RegisterOptions long_lease;
  long_lease.ttl = std::chrono::seconds(120);
  RegisterOptions short_lease;
  short_lease.ttl = std::chrono::milliseconds(2500);
  ASSERT_TRUE(owner.Register(MakeInstance("svc", "keep1"), long_lease).ok());
  ASSERT_TRUE(owner.Register(MakeInstance("svc", "keep2"), long_lease).ok());
  ASSERT_TRUE(owner.Register(MakeInstance("svc", "lapse"), short_lease).ok());
  Property p;
  p.service_name = "svc";
  ASSERT_TRUE(owner.SetProperty(p).ok());

  EventRecorder rec;
  std::unique_ptr<Watch> w;
  ASSERT_TRUE(watcher.StartWatch(rec.Callback(), &w).ok());
  ASSERT_TRUE(rec.WaitSynced());
  ASSERT_EQ(rec.model().instances["svc"].size(), 3u);
  // The registering backend watches too: its own session expires under it.
  EventRecorder own;
  std::unique_ptr<Watch> own_watch;
  ASSERT_TRUE(owner.StartWatch(own.Callback(), &own_watch).ok());
  ASSERT_TRUE(own.WaitSynced());
  int64_t version_before = rec.model().versions["svc"];

  RawClient raw(zk->connect_string());
  ASSERT_TRUE(raw.connected());
  int64_t old_owner = Owner(raw, "/discovery/svc/instance/keep1");
  ASSERT_GT(old_owner, 0);

  // Both sessions expire; the instances still held come back in a new one.
  auto recreated = [&] {
    int64_t now = Owner(raw, "/discovery/svc/instance/keep1");
    return now > 0 && now != old_owner && Owner(raw, "/discovery/svc/instance/keep2") == now;
  };
  // After SIGCONT the server's session expirer races the client's
  // reconnect: when the reconnect wins, the server revalidates the session
  // and nothing expires. That is ZooKeeper's behaviour, not kreg's, so the
  // pause is repeated (at most 3 times) until the session does expire.
  bool expired = false;
  for (int attempt = 0; attempt < 3 && !expired; ++attempt) {
    zk->Pause(0);
    std::this_thread::sleep_for(std::chrono::seconds(7));  // > 3 session timeouts
    zk->Resume(0);
    expired = WaitFor(recreated, std::chrono::seconds(20));
  }
  ASSERT_TRUE(expired) << log.All();
  EXPECT_TRUE(log.Contains("session expired", KREG_LOG_WARN)) << log.All();
  ASSERT_TRUE(WaitFor([&] { return raw.Exists("/discovery/svc/instance/lapse") == ZNONODE; },
                      std::chrono::seconds(30)));

  // The watch reports what changed while it was away, and goes on.
  ASSERT_TRUE(owner.Register(MakeInstance("svc", "fresh"), long_lease).ok());
  auto server = ServerView(watcher);
  ASSERT_EQ(server["svc"].size(), 3u);
  ASSERT_TRUE(rec.WaitUntil([&](const EventRecorder::Model& m) { return ModelView(m) == server; }))
      << "the watch's final state differs from the server's:\n" << DescribeDiff(server, ModelView(rec.model()));
  ASSERT_TRUE(own.WaitUntil([&](const EventRecorder::Model& m) { return ModelView(m) == server; }))
      << "the owner's watch differs from the server:\n" << DescribeDiff(server, ModelView(own.model()));
  EXPECT_TRUE(own.violations().empty()) << own.violations()[0];
  EXPECT_GE(rec.count(EventType::kDelete, EventInfo::kInstance), 1u) << "lapse";
  EXPECT_TRUE(rec.violations().empty()) << rec.violations()[0];
  EXPECT_GT(rec.model().versions["svc"], version_before);
  Service svc;
  ASSERT_TRUE(watcher.GetService("svc", &svc).ok());
  EXPECT_LE(svc.version, rec.model().versions["svc"]);
  EXPECT_EQ(rec.model().properties.count("svc"), 1u);
}

}  // namespace
}  // namespace testing
}  // namespace kreg
