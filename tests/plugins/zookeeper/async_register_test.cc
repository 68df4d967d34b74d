// Registry::RegisterAsync against a real server: the ZooKeeper backend's
// own asynchronous register (creates in flight at once, completed from
// their replies) keeps every rule of the synchronous one.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "support/process.h"
#include "zk_test_util.h"

namespace kreg {
namespace testing {
namespace {

// The outcomes of many RegisterAsync calls, each recorded by its index.
class Outcomes {
 public:
  explicit Outcomes(size_t n) : calls_(n, 0), statuses_(n) {}

  Registry::RegisterDone For(size_t i) {
    return [this, i](const Status& s) {
      std::lock_guard<std::mutex> lock(mu_);
      ++calls_[i];
      statuses_[i] = s;
      ++total_;
      cv_.notify_all();
    };
  }
  bool WaitAll(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [this] { return total_ >= calls_.size(); });
  }
  // Every register was reported exactly once; `ok` says which statuses
  // are expected. Returns the first problem, or "".
  std::string Check(const std::function<bool(const Status&)>& ok) {
    std::lock_guard<std::mutex> lock(mu_);
    for (size_t i = 0; i < calls_.size(); ++i) {
      if (calls_[i] != 1) return "register " + std::to_string(i) + " reported " + std::to_string(calls_[i]) + " times";
      if (!ok(statuses_[i])) return "register " + std::to_string(i) + ": " + statuses_[i].ToString();
    }
    return "";
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<int> calls_;
  std::vector<Status> statuses_;
  size_t total_ = 0;
};

bool IsOk(const Status& s) { return s.ok(); }

std::string Id(size_t i) { return "i" + std::to_string(i); }

TEST(ZooKeeperRegisterAsync, ManyInFlightAllLandWithTheirData) {
  KREG_START_ZOOKEEPER(zk, 1);
  Registry r;
  OpenOptions o = ZkOptions(*zk);
  o.timeout = std::chrono::seconds(30);
  ASSERT_TRUE(OpenZk(o, &r).ok());
  // Four callers, each issuing without waiting; the first creates of the
  // new service meet missing parents and take the blocking path.
  constexpr size_t kCallers = 4;
  constexpr size_t kPerCaller = 500;
  Outcomes outcomes(kCallers * kPerCaller);
  std::vector<std::thread> callers;
  for (size_t c = 0; c < kCallers; ++c) {
    callers.emplace_back([&, c] {
      for (size_t i = c * kPerCaller; i < (c + 1) * kPerCaller; ++i) {
        r.RegisterAsync(MakeInstance("svc", Id(i)), {}, outcomes.For(i));
      }
    });
  }
  for (auto& t : callers) t.join();
  ASSERT_TRUE(outcomes.WaitAll(std::chrono::seconds(60)));
  EXPECT_EQ(outcomes.Check(IsOk), "");

  // Read-your-writes once done ran, as after Register.
  Service service;
  ASSERT_TRUE(r.GetService("svc", &service).ok());
  EXPECT_EQ(service.instance_count(), kCallers * kPerCaller);
  RawClient raw(zk->connect_string());
  ASSERT_TRUE(raw.connected());
  for (size_t i = 0; i < kCallers * kPerCaller; i += 97) {
    std::string data;
    Stat stat{};
    ASSERT_EQ(raw.Get("/discovery/svc/instance/" + Id(i), &data, &stat), ZOK) << Id(i);
    EXPECT_NE(stat.ephemeralOwner, 0) << Id(i);
    EXPECT_NE(data.find("host-" + Id(i)), std::string::npos) << data;
  }
}

TEST(ZooKeeperRegisterAsync, ARepeatIsAKeepaliveAnsweredAtOnce) {
  KREG_START_ZOOKEEPER(zk, 1);
  Registry r;
  ASSERT_TRUE(OpenZk(ZkOptions(*zk), &r).ok());
  Outcomes first(1);
  r.RegisterAsync(MakeInstance("svc", "a"), {}, first.For(0));
  ASSERT_TRUE(first.WaitAll(std::chrono::seconds(20)));
  ASSERT_EQ(first.Check(IsOk), "");
  RawClient raw(zk->connect_string());
  Stat before{};
  std::string data;
  ASSERT_EQ(raw.Get("/discovery/svc/instance/a", &data, &before), ZOK);

  Outcomes again(1);
  r.RegisterAsync(MakeInstance("svc", "a"), {}, again.For(0));
  EXPECT_TRUE(again.WaitAll(std::chrono::milliseconds(0))) << "a keepalive was not answered before RegisterAsync returned";
  EXPECT_EQ(again.Check(IsOk), "");
  Stat after{};
  ASSERT_EQ(raw.Get("/discovery/svc/instance/a", &data, &after), ZOK);
  EXPECT_EQ(after.mzxid, before.mzxid) << "a keepalive wrote the node";

  // A refresh rewrites it (on the worker: a set is a blocking request).
  Outcomes refresh(1);
  RegisterOptions ro;
  ro.refresh = true;
  Instance changed = MakeInstance("svc", "a");
  changed.hostname = "moved";
  r.RegisterAsync(changed, ro, refresh.For(0));
  ASSERT_TRUE(refresh.WaitAll(std::chrono::seconds(20)));
  EXPECT_EQ(refresh.Check(IsOk), "");
  ASSERT_EQ(raw.Get("/discovery/svc/instance/a", &data, &after), ZOK);
  EXPECT_NE(data.find("moved"), std::string::npos) << data;
}

TEST(ZooKeeperRegisterAsync, ANodeOfAnotherSessionIsWaitedFor) {
  KREG_START_ZOOKEEPER(zk, 1);
  auto other = std::make_unique<RawClient>(zk->connect_string());
  ASSERT_TRUE(other->connected());
  ASSERT_EQ(other->CreateAll("/discovery/svc/instance", ""), ZOK);
  const std::string path = "/discovery/svc/instance/a";
  ASSERT_EQ(zoo_create(other->handle(), path.c_str(), "{}", 2, &ZOO_OPEN_ACL_UNSAFE, ZOO_EPHEMERAL, nullptr, 0), ZOK);
  const int64_t theirs = zoo_client_id(other->handle())->client_id;

  Registry r;
  ASSERT_TRUE(OpenZk(ZkOptions(*zk), &r).ok());
  Outcomes outcomes(1);
  r.RegisterAsync(MakeInstance("svc", "a"), {}, outcomes.For(0));
  ASSERT_TRUE(outcomes.WaitAll(std::chrono::seconds(20)));
  EXPECT_EQ(outcomes.Check(IsOk), "");
  RawClient check(zk->connect_string());
  Stat stat{};
  ASSERT_EQ(check.Exists(path, &stat), ZOK);
  EXPECT_EQ(stat.ephemeralOwner, theirs) << "another session's node was replaced";

  other.reset();  // their session ends: ours takes the place
  EXPECT_TRUE(WaitFor([&] { return check.Exists(path, &stat) == ZOK && stat.ephemeralOwner != theirs; },
                      std::chrono::seconds(10)));
  std::string data;
  ASSERT_EQ(check.Get(path, &data), ZOK);
  EXPECT_NE(data.find("host-a"), std::string::npos) << data;
}

TEST(ZooKeeperRegisterAsync, ADeregisterRightAfterIsNotUndone) {
  KREG_START_ZOOKEEPER(zk, 1);
  Registry r;
  ASSERT_TRUE(OpenZk(ZkOptions(*zk), &r).ok());
  ASSERT_TRUE(r.Register(MakeInstance("svc", "first")).ok());  // the parents exist: creates go the fast way
  constexpr size_t kIds = 50;
  Outcomes outcomes(kIds);
  for (size_t i = 0; i < kIds; ++i) {
    r.RegisterAsync(MakeInstance("svc", Id(i)), {}, outcomes.For(i));
    ASSERT_TRUE(r.Deregister("svc", Id(i)).ok());
  }
  ASSERT_TRUE(outcomes.WaitAll(std::chrono::seconds(20)));
  EXPECT_EQ(outcomes.Check(IsOk), "");
  // Past a few maintenance rounds: none is re-created as a held node.
  std::this_thread::sleep_for(std::chrono::seconds(1));
  RawClient raw(zk->connect_string());
  for (size_t i = 0; i < kIds; ++i) {
    EXPECT_EQ(raw.Exists("/discovery/svc/instance/" + Id(i)), ZNONODE) << Id(i);
  }
}

TEST(ZooKeeperRegisterAsync, RegistersIssuedFromInsideDoneComplete) {
  KREG_START_ZOOKEEPER(zk, 1);
  Registry r;
  ASSERT_TRUE(OpenZk(ZkOptions(*zk), &r).ok());
  // Each `done` issues the next register, on whatever thread it runs.
  constexpr size_t kChain = 100;
  Outcomes outcomes(kChain);
  std::function<void(size_t)> issue = [&](size_t i) {
    r.RegisterAsync(MakeInstance("chain" + std::to_string(i % 3), Id(i)), {}, [&, i](const Status& s) {
      outcomes.For(i)(s);
      if (i + 1 < kChain) issue(i + 1);
    });
  };
  issue(0);
  ASSERT_TRUE(outcomes.WaitAll(std::chrono::seconds(60)));
  EXPECT_EQ(outcomes.Check(IsOk), "");
  Service service;
  ASSERT_TRUE(r.GetService("chain1", &service).ok());
  EXPECT_EQ(service.instance_count(), kChain / 3);
}

// Unreachable: every register ends within the timeout, as UNAVAILABLE or
// TIMEOUT, whether the connection fails at once (killed) or the server
// just stops answering (paused, with a session far longer than the
// timeout, so only the register's own deadline ends it).
TEST(ZooKeeperRegisterAsync, AnUnreachableServerEndsEachWithinTheTimeout) {
  for (bool pause : {false, true}) {
    SCOPED_TRACE(pause ? "paused" : "killed");
    KREG_START_ZOOKEEPER(zk, 1);
    Registry r;
    OpenOptions o = ZkOptions(*zk);
    o.timeout = std::chrono::seconds(2);
    o.options["session_timeout"] = "30s";
    ASSERT_TRUE(OpenZk(o, &r).ok());
    ASSERT_TRUE(r.Register(MakeInstance("svc", "first")).ok());
    if (pause) {
      zk->Pause(0);
    } else {
      zk->Kill(0);
    }
    constexpr size_t kRegisters = 50;
    Outcomes outcomes(kRegisters);
    auto start = std::chrono::steady_clock::now();
    for (size_t i = 0; i < kRegisters; ++i) r.RegisterAsync(MakeInstance("svc", Id(i)), {}, outcomes.For(i));
    EXPECT_TRUE(outcomes.WaitAll(std::chrono::seconds(10)));
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
    EXPECT_EQ(outcomes.Check([](const Status& s) {
                return s.code() == KREG_UNAVAILABLE || s.code() == KREG_TIMEOUT;
              }),
              "");
    if (pause) zk->Resume(0);
  }
}

TEST(ZooKeeperRegisterAsync, ClosingTheRegistryEndsEveryPendingRegister) {
  KREG_START_ZOOKEEPER(zk, 1);
  constexpr size_t kRegisters = 500;
  Outcomes outcomes(kRegisters);
  {
    Registry r;
    ASSERT_TRUE(OpenZk(ZkOptions(*zk), &r).ok());
    for (size_t i = 0; i < kRegisters; ++i) r.RegisterAsync(MakeInstance("svc", Id(i)), {}, outcomes.For(i));
  }  // the last copy goes: destroy returns only once every `done` ran
  EXPECT_TRUE(outcomes.WaitAll(std::chrono::milliseconds(0)));
  EXPECT_EQ(outcomes.Check([](const Status& s) { return s.ok() || s.code() == KREG_UNAVAILABLE; }), "");
}

}  // namespace
}  // namespace testing
}  // namespace kreg
