// Liveness on etcd: the backend's lease, instances of a killed keeper, held
// keys deleted by someone else, a lost lease, and a store that goes away and
// comes back with its data.
#include <gtest/gtest.h>

#include <signal.h>

#include <thread>

#include <nlohmann/json.hpp>

#include "etcd_test_util.h"
#include "support/process.h"

namespace kreg {
namespace testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(EtcdLiveness, AKilledHoldersInstanceIsGoneWithinTheLeaseTtl) {
  KREG_START_ETCD(etcd, 1);
  TempDir dir;
  std::string config = dir.WriteFile("etcd.yaml", EtcdConfigYaml(*etcd));
  Registry r;
  ASSERT_TRUE(OpenEtcd(EtcdOptions(*etcd), &r).ok());
  EventRecorder rec;
  std::unique_ptr<Watch> w;
  ASSERT_TRUE(r.StartWatch(rec.Callback(), &w).ok());
  ASSERT_TRUE(rec.WaitSynced());

  Process holder({std::string(KREG_TEST_BIN_DIR) + "/kregctl", "--config", config, "register", "--service", "held",
                  "--id", "h", "--ttl", "60s", "--hold"},
                 dir.path());
  ASSERT_TRUE(rec.WaitUntil([](const EventRecorder::Model& m) { return m.has_instance("held", "h"); }))
      << holder.Stderr();
  holder.Signal(SIGKILL);
  ASSERT_EQ(holder.Wait(), 128 + SIGKILL);
  const auto killed = std::chrono::steady_clock::now();
  // The lease lasts session_timeout (2 s); etcd ends an expired lease within
  // about a second more.
  ASSERT_TRUE(rec.WaitUntil([](const EventRecorder::Model& m) { return !m.has_instance("held", "h"); }, seconds(10)))
      << "the instance of a keeper killed with -9 outlived its lease";
  EXPECT_LT(std::chrono::steady_clock::now() - killed, seconds(5));
  EXPECT_TRUE(rec.violations().empty()) << rec.violations().front();
}

TEST(EtcdLiveness, AHeldKeyDeletedBySomeoneElseIsPutBack) {
  KREG_START_ETCD(etcd, 1);
  Registry r;
  ASSERT_TRUE(OpenEtcd(EtcdOptions(*etcd), &r).ok());
  ASSERT_TRUE(r.Register(MakeInstance("svc", "a")).ok());
  EventRecorder rec;
  std::unique_ptr<Watch> w;
  ASSERT_TRUE(r.StartWatch(rec.Callback(), &w).ok());
  ASSERT_TRUE(rec.WaitSynced());

  EtcdctlDel(*etcd, "/discovery/svc/instance/a/");
  ASSERT_TRUE(WaitFor([&] {
    return rec.count(EventType::kDelete, EventInfo::kInstance) == 1 &&
           rec.count(EventType::kCreate, EventInfo::kInstance) == 2;
  }, seconds(10))) << "the delete is seen, then the instance comes back";
  EXPECT_TRUE(WaitFor([&] { return !EtcdctlGet(*etcd, "/discovery/svc/instance/a/").empty(); }, seconds(5)));
  EXPECT_GT(EtcdctlLease(*etcd, "/discovery/svc/instance/a/"), 0);

  // A deregister is not undone.
  ASSERT_TRUE(r.Deregister("svc", "a").ok());
  std::this_thread::sleep_for(milliseconds(500));
  EXPECT_EQ(EtcdctlGet(*etcd, "/discovery/svc/instance/a/"), "");
  EXPECT_TRUE(rec.violations().empty()) << rec.violations().front();
}

TEST(EtcdLiveness, ALostLeaseIsReplacedAndEveryHeldInstancePutAgain) {
  KREG_START_ETCD(etcd, 1);
  LogCapture log;
  OpenOptions o = EtcdOptions(*etcd);
  o.log = log.Sink();
  Registry r;
  ASSERT_TRUE(OpenEtcd(o, &r).ok());
  for (const char* id : {"a", "b", "c"}) ASSERT_TRUE(r.Register(MakeInstance("svc", id)).ok());
  const int64_t lease = EtcdctlLease(*etcd, "/discovery/svc/instance/a/");
  ASSERT_GT(lease, 0);
  // As when it expires while the keeper cannot reach etcd: the lease and
  // every key on it go.
  char hex[32];
  std::snprintf(hex, sizeof(hex), "%llx", static_cast<unsigned long long>(lease));
  std::string out;
  ASSERT_EQ(etcd->Etcdctl({"lease", "revoke", hex}, &out), 0) << out;
  ASSERT_TRUE(WaitFor([&] { return EtcdctlKeys(*etcd, "/discovery/svc/instance/").size() == 3; }, seconds(10)))
      << "the held instances are put again with a new lease; log:\n" << log.All();
  const int64_t replacement = EtcdctlLease(*etcd, "/discovery/svc/instance/b/");
  EXPECT_GT(replacement, 0);
  EXPECT_NE(replacement, lease);
  // And the new lease is kept alive: the instances outlive its TTL.
  std::this_thread::sleep_for(seconds(3));
  EXPECT_EQ(EtcdctlKeys(*etcd, "/discovery/svc/instance/").size(), 3u);
  EXPECT_TRUE(log.Contains("expired")) << log.All();
}

TEST(EtcdLiveness, AStoreThatGoesAwayReportsNoDeletesAndComesBackWithItsData) {
  KREG_START_ETCD(etcd, 1);
  OpenOptions o = EtcdOptions(*etcd);
  o.timeout = seconds(2);
  o.options["session_timeout"] = "30s";  // outlives the outage
  Registry r;
  ASSERT_TRUE(OpenEtcd(o, &r).ok());
  ASSERT_TRUE(r.Register(MakeInstance("svc", "a")).ok());
  Property p;
  p.service_name = "svc";
  p.attrs["a"]["k"] = "v";
  ASSERT_TRUE(r.SetProperty(p).ok());
  EventRecorder rec;
  std::unique_ptr<Watch> w;
  ASSERT_TRUE(r.StartWatch(rec.Callback(), &w).ok());
  ASSERT_TRUE(rec.WaitSynced());

  etcd->Stop(0);
  Status s = r.Register(MakeInstance("svc", "b"));
  EXPECT_TRUE(s.code() == KREG_UNAVAILABLE || s.code() == KREG_TIMEOUT) << s.ToString();
  EXPECT_NE(s.message().find(etcd->addr(0)), std::string::npos) << "the error names the endpoint: " << s.message();
  std::this_thread::sleep_for(seconds(1));
  EXPECT_EQ(rec.count(EventType::kDelete, EventInfo::kInstance), 0u) << "no deletes while etcd is away";

  std::string error;
  ASSERT_TRUE(etcd->Restart(0, &error)) << error;
  ASSERT_TRUE(r.Register(MakeInstance("svc", "b")).ok());
  ASSERT_TRUE(rec.WaitUntil([](const EventRecorder::Model& m) { return m.has_instance("svc", "b"); }, seconds(20)))
      << "the watch goes on after the restart";
  Service read;
  ASSERT_TRUE(r.GetService("svc", &read).ok());
  EXPECT_EQ(read.instance_count(), 2u) << "the data survived the restart (same data dir)";
  EXPECT_EQ(read.instances["z1"]["a"]->metadata.at("k"), "v");
  EXPECT_EQ(rec.count(EventType::kDelete, EventInfo::kInstance), 0u);
  EXPECT_TRUE(rec.violations().empty()) << rec.violations().front();
}

TEST(EtcdLiveness, ADeregisterOfAnInstanceAnotherRegistrantHoldsLeavesIt) {
  KREG_START_ETCD(etcd, 1);
  Registry holder;
  ASSERT_TRUE(OpenEtcd(EtcdOptions(*etcd), &holder).ok());
  ASSERT_TRUE(holder.Register(MakeInstance("svc", "a")).ok());
  const int64_t lease = EtcdctlLease(*etcd, "/discovery/svc/instance/a/");
  Registry other;
  ASSERT_TRUE(OpenEtcd(EtcdOptions(*etcd), &other).ok());
  ASSERT_TRUE(other.Register(MakeInstance("svc", "a")).ok()) << "held as waiting";
  ASSERT_TRUE(other.Deregister("svc", "a").ok());
  EXPECT_EQ(EtcdctlLease(*etcd, "/discovery/svc/instance/a/"), lease)
      << "the other registrant's live record is not deleted";
}

TEST(EtcdLiveness, EveryEndpointIsTriedInTurn) {
  KREG_START_ETCD(etcd, 1);
  OpenOptions o = EtcdOptions(*etcd);
  // A port nothing listens on first: refused at once, then the live one.
  o.addrs = {"127.0.0.1:1", etcd->addr(0)};
  Registry r;
  ASSERT_TRUE(OpenEtcd(o, &r).ok());
  ASSERT_TRUE(r.Register(MakeInstance("svc", "a")).ok());
  Service s;
  ASSERT_TRUE(r.GetService("svc", &s).ok());

  o.addrs = {"127.0.0.1:1", "127.0.0.1:2"};
  o.timeout = milliseconds(1500);
  Registry dead;
  Status st = OpenEtcd(o, &dead);
  EXPECT_EQ(st.code(), KREG_UNAVAILABLE) << st.ToString();
  EXPECT_NE(st.message().find("http://127.0.0.1:1"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("http://127.0.0.1:2"), std::string::npos) << st.message();
}

}  // namespace
}  // namespace testing
}  // namespace kreg
