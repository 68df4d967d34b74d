// Held instances against other clients: a held node deleted behind the
// backend's back comes back; a node of another live session is never
// deleted, and the backend's own node takes its place the moment it goes;
// lapsed leases are deleted together.
#include <signal.h>

#include <atomic>
#include <cstdio>
#include <thread>

#include <gtest/gtest.h>

#include "kreg/json_format.hpp"
#include "support/process.h"
#include "support/temp_dir.h"
#include "zk_test_util.h"

namespace kreg {
namespace testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

int64_t Owner(RawClient& raw, const std::string& path) {
  Stat stat{};
  return raw.Exists(path, &stat) == ZOK ? stat.ephemeralOwner : -1;
}

std::string Hex(int64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

// A server, a registry on it logging at debug level, and a raw client to
// act behind the registry's back.
class ZooKeeperHeld : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    zk_ = ZooKeeperServer::Start(1, &error);
    ASSERT_NE(zk_, nullptr) << error;
    OpenOptions o = ZkOptions(*zk_);
    o.log = log_.Sink();
    o.log_level = KREG_LOG_DEBUG;
    ASSERT_TRUE(OpenZk(o, &registry_).ok());
    raw_ = std::make_unique<RawClient>(zk_->connect_string());
    ASSERT_TRUE(raw_->connected());
  }

  std::unique_ptr<ZooKeeperServer> zk_;
  LogCapture log_;
  Registry registry_;
  std::unique_ptr<RawClient> raw_;
};

TEST_F(ZooKeeperHeld, ANodeDeletedBySomeoneElseIsRecreatedWithTheSameData) {
  const std::string path = "/discovery/svc/instance/a";
  RegisterOptions long_lease;
  long_lease.ttl = seconds(120);
  ASSERT_TRUE(registry_.Register(MakeInstance("svc", "a"), long_lease).ok());
  std::string registered;
  ASSERT_EQ(raw_->Get(path, &registered), ZOK);

  // Twice, and once after a refresh: the watch is set again after each
  // notification, not only once.
  for (int round = 0; round < 3; ++round) {
    if (round == 2) {
      RegisterOptions refresh = long_lease;
      refresh.refresh = true;
      Instance changed = MakeInstance("svc", "a");
      changed.hostname = "refreshed";
      ASSERT_TRUE(registry_.Register(changed, refresh).ok());
      ASSERT_EQ(raw_->Get(path, &registered), ZOK);
      ASSERT_NE(registered.find("refreshed"), std::string::npos) << registered;
      std::this_thread::sleep_for(milliseconds(500));  // the refresh's own notification is seen
    }
    ASSERT_EQ(raw_->Delete(path), ZOK) << round;
    ASSERT_TRUE(WaitFor([&] { return raw_->Exists(path) == ZOK; }, seconds(3)))
        << "round " << round << ": the held instance did not come back\n" << log_.All();
    std::string data;
    Stat stat{};
    ASSERT_EQ(raw_->Get(path, &data, &stat), ZOK);
    EXPECT_EQ(data, registered) << round;
    EXPECT_NE(stat.ephemeralOwner, 0) << round;
  }
  EXPECT_TRUE(log_.Contains(path + " was deleted by another client", KREG_LOG_WARN)) << log_.All();
  Service svc;
  ASSERT_TRUE(registry_.GetService("svc", &svc).ok());
  EXPECT_EQ(InstancesById(svc).count("a"), 1u);
}

TEST_F(ZooKeeperHeld, DeregisteredAndLapsedInstancesStayDeleted) {
  RegisterOptions short_lease;
  short_lease.ttl = milliseconds(500);
  ASSERT_TRUE(registry_.Register(MakeInstance("svc", "gone")).ok());
  ASSERT_TRUE(registry_.Register(MakeInstance("svc", "lapsed"), short_lease).ok());
  std::this_thread::sleep_for(milliseconds(300));  // both watched
  ASSERT_TRUE(registry_.Deregister("svc", "gone").ok());
  ASSERT_TRUE(WaitFor([&] { return raw_->Exists("/discovery/svc/instance/lapsed") == ZNONODE; }, seconds(5)));
  std::this_thread::sleep_for(seconds(1));
  EXPECT_EQ(raw_->Exists("/discovery/svc/instance/gone"), ZNONODE) << log_.All();
  EXPECT_EQ(raw_->Exists("/discovery/svc/instance/lapsed"), ZNONODE) << log_.All();
  EXPECT_FALSE(log_.Contains("deleted by another client")) << log_.All();
}

// A client cannot tell a dead session from a live one: a node of any other
// session is left alone, and the backend's own node replaces it once it
// goes (deleted, or its session closed).
TEST_F(ZooKeeperHeld, ALiveSessionsNodeIsNeverStolen) {
  auto other = std::make_unique<RawClient>(zk_->connect_string());
  ASSERT_TRUE(other->connected());
  ASSERT_EQ(other->CreateAll("/discovery/svc/instance", ""), ZOK);
  Instance theirs = MakeInstance("svc", "x");
  theirs.hostname = "their-host";
  const std::string their_json = format::EncodeInstance(theirs);
  for (const char* id : {"x", "y"}) {
    theirs.id = id;
    std::string json = format::EncodeInstance(theirs);
    ASSERT_EQ(zoo_create(other->handle(), (std::string("/discovery/svc/instance/") + id).c_str(), json.data(),
                         static_cast<int>(json.size()), &ZOO_OPEN_ACL_UNSAFE, ZOO_EPHEMERAL, nullptr, 0),
              ZOK);
  }
  const int64_t their_session = zoo_client_id(other->handle())->client_id;

  ASSERT_TRUE(registry_.Register(MakeInstance("svc", "x")).ok());
  ASSERT_TRUE(registry_.Register(MakeInstance("svc", "y")).ok());
  std::this_thread::sleep_for(milliseconds(500));
  EXPECT_EQ(Owner(*raw_, "/discovery/svc/instance/x"), their_session) << "not deleted\n" << log_.All();
  EXPECT_EQ(Owner(*raw_, "/discovery/svc/instance/y"), their_session) << "not deleted\n" << log_.All();
  EXPECT_TRUE(log_.Contains(Hex(their_session), KREG_LOG_DEBUG)) << log_.All();
  Service svc;
  ASSERT_TRUE(registry_.GetService("svc", &svc).ok());
  auto listed = InstancesById(svc);
  ASSERT_EQ(listed.count("x"), 1u) << "listed, with the other owner's data";
  EXPECT_EQ(listed["x"].hostname, "their-host");
  // A keepalive and a refresh while waiting write nothing to their node.
  ASSERT_TRUE(registry_.Register(MakeInstance("svc", "x")).ok());
  RegisterOptions refresh;
  refresh.refresh = true;
  Instance mine = MakeInstance("svc", "x");
  mine.hostname = "my-refreshed-host";
  ASSERT_TRUE(registry_.Register(mine, refresh).ok());
  std::string data;
  ASSERT_EQ(raw_->Get("/discovery/svc/instance/x", &data), ZOK);
  EXPECT_EQ(data, their_json);

  // Deleted by its owner: ours appears, with the refreshed data.
  ASSERT_EQ(other->Delete("/discovery/svc/instance/x"), ZOK);
  auto mine_now = [&](const std::string& id) {
    int64_t owner = Owner(*raw_, "/discovery/svc/instance/" + id);
    return owner > 0 && owner != their_session;
  };
  ASSERT_TRUE(WaitFor([&] { return mine_now("x"); }, seconds(3))) << log_.All();
  ASSERT_EQ(raw_->Get("/discovery/svc/instance/x", &data), ZOK);
  EXPECT_NE(data.find("my-refreshed-host"), std::string::npos) << data;
  // Its session closed: ours appears.
  other.reset();
  ASSERT_TRUE(WaitFor([&] { return mine_now("y"); }, seconds(3))) << log_.All();
  ASSERT_EQ(raw_->Get("/discovery/svc/instance/y", &data), ZOK);
  EXPECT_NE(data.find("host-y"), std::string::npos) << data;
  EXPECT_FALSE(log_.Contains("deleted by another client")) << "their node going is no surprise\n" << log_.All();
}

// A deregister, or a lapsed lease, of an instance whose path another
// session holds deletes nothing of theirs.
TEST_F(ZooKeeperHeld, DeregisterAndLapseLeaveAnotherSessionsNode) {
  RawClient other(zk_->connect_string());
  ASSERT_TRUE(other.connected());
  ASSERT_EQ(other.CreateAll("/discovery/svc/instance", ""), ZOK);
  for (const char* id : {"d", "l"}) {
    ASSERT_EQ(zoo_create(other.handle(), (std::string("/discovery/svc/instance/") + id).c_str(), "{}", 2,
                         &ZOO_OPEN_ACL_UNSAFE, ZOO_EPHEMERAL, nullptr, 0),
              ZOK);
  }
  const int64_t their_session = zoo_client_id(other.handle())->client_id;
  RegisterOptions short_lease;
  short_lease.ttl = milliseconds(300);
  ASSERT_TRUE(registry_.Register(MakeInstance("svc", "d")).ok());
  ASSERT_TRUE(registry_.Register(MakeInstance("svc", "l"), short_lease).ok());
  ASSERT_TRUE(registry_.Deregister("svc", "d").ok());
  std::this_thread::sleep_for(seconds(1));
  EXPECT_EQ(Owner(other, "/discovery/svc/instance/d"), their_session);
  EXPECT_EQ(Owner(other, "/discovery/svc/instance/l"), their_session);
}

// A keeper killed with -9 and restarted at once meets its own old node,
// held by a session that is dead but not yet expired. The new process
// cannot tell it from a live one: it waits, and its node replaces the old
// one the moment the old session expires, leaving no gap.
TEST_F(ZooKeeperHeld, AHolderRestartedAfterKill9TakesOverWithoutAGap) {
  TempDir dir;
  std::string config = dir.WriteFile(
      "zk.yaml", "registry:\n  plugin: zookeeper\n  plugin_dir: " KREG_TEST_PLUGIN_DIR "\n  addrs: [" +
                     zk_->addr(0) + "]\n  timeout: 10s\n  options: {session_timeout: 4s}\nlog:\n  level: warn\n");
  auto holder = [&](const std::string& hostname) {
    return std::make_unique<Process>(
        std::vector<std::string>{std::string(KREG_TEST_BIN_DIR) + "/kregctl", "--config", config, "register",
                                 "--service", "held", "--id", "h", "--hostname", hostname, "--ttl", "60s", "--hold"},
        dir.path());
  };
  auto registered = [](Process& p) { return p.Stdout().find("registered") != std::string::npos; };
  const std::string path = "/discovery/held/instance/h";

  auto first = holder("first");
  ASSERT_TRUE(WaitFor([&] { return registered(*first); }, seconds(30))) << first->Stderr();
  const int64_t old_owner = Owner(*raw_, path);
  ASSERT_GT(old_owner, 0);
  first->Signal(SIGKILL);
  ASSERT_EQ(first->Wait(), 128 + SIGKILL);
  auto killed = std::chrono::steady_clock::now();
  auto second = holder("second");

  // Polls the node until it has been the new holder's for 2 s, measuring
  // the longest time it was missing.
  std::atomic<bool> second_registered{false};
  std::thread waiter([&] {
    second_registered = WaitFor([&] { return registered(*second); }, seconds(30));
  });
  auto longest_gap = milliseconds(0);
  std::chrono::steady_clock::time_point missing_since{}, taken_over{};
  bool missing = false;
  int64_t owner_when_registered = 0;
  for (;;) {
    auto now = std::chrono::steady_clock::now();
    Stat stat{};
    int rc = raw_->Exists(path, &stat);
    if (rc == ZNONODE && !missing) {
      missing = true;
      missing_since = now;
    } else if (rc == ZOK && missing) {
      missing = false;
      longest_gap = std::max(longest_gap, std::chrono::duration_cast<milliseconds>(now - missing_since));
    }
    if (second_registered && owner_when_registered == 0 && rc == ZOK) owner_when_registered = stat.ephemeralOwner;
    if (rc == ZOK && stat.ephemeralOwner != old_owner && taken_over == std::chrono::steady_clock::time_point{}) {
      taken_over = now;
    }
    if (taken_over != std::chrono::steady_clock::time_point{} && now - taken_over > seconds(2)) break;
    if (now - killed > seconds(30)) break;
    std::this_thread::sleep_for(milliseconds(5));
  }
  waiter.join();
  ASSERT_TRUE(second_registered) << second->Stderr();
  ASSERT_NE(taken_over, std::chrono::steady_clock::time_point{}) << "never taken over\n" << second->Stderr();
  EXPECT_EQ(owner_when_registered, old_owner) << "the old node must not be deleted while its session lives";
  EXPECT_LT(taken_over - killed, seconds(12)) << "about the old session's timeout (4 s) after the kill";
  EXPECT_LT(longest_gap, milliseconds(500)) << "the instance was missing that long";
  EXPECT_FALSE(missing) << "gone again after the takeover";
  std::string data;
  ASSERT_EQ(raw_->Get(path, &data), ZOK);
  EXPECT_NE(data.find("\"second\""), std::string::npos) << data;
  EXPECT_TRUE(second->running()) << second->Stderr();
}

// Leases lapsing together are deleted together, not one round trip at a
// time.
TEST_F(ZooKeeperHeld, ManyLapsedLeasesAreDeletedTogether) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 500;
  auto instance = [](int t, int i) { return MakeInstance("svc", "i" + std::to_string(t * kPerThread + i)); };
  RegisterOptions long_lease;
  long_lease.ttl = seconds(120);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        Status s = registry_.Register(instance(t, i), long_lease);
        if (!s.ok()) ADD_FAILURE() << s.ToString();
      }
    });
  }
  for (auto& t : threads) t.join();
  std::vector<std::string> children;
  ASSERT_EQ(raw_->Children("/discovery/svc/instance", &children), ZOK);
  ASSERT_EQ(children.size(), size_t{kThreads * kPerThread});

  // Keepalives with a short TTL (no request each): every lease lapses at
  // about the same moment.
  RegisterOptions short_lease;
  short_lease.ttl = seconds(1);
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kPerThread; ++i) ASSERT_TRUE(registry_.Register(instance(t, i), short_lease).ok());
  }
  auto renewed = std::chrono::steady_clock::now();
  auto gone = [&] {
    std::vector<std::string> left;
    return raw_->Children("/discovery/svc/instance", &left) == ZOK && left.empty();
  };
  ASSERT_TRUE(WaitFor(gone, seconds(60)));
  // Pipelined, the deletes took about 1 s on a loaded machine (3 s under
  // ThreadSanitizer); one at a time, 6-11 s.
  EXPECT_LT(std::chrono::steady_clock::now() - renewed, short_lease.ttl + seconds(5));
  EXPECT_FALSE(log_.Contains("delete of their nodes failed", KREG_LOG_WARN)) << log_.All();
}

}  // namespace
}  // namespace testing
}  // namespace kreg
