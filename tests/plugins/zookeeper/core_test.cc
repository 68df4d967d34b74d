// Register, keepalive, refresh, deregister, get, list, set_property and
// lease expiry against a real standalone server.
#include <gtest/gtest.h>

#include <cstdio>
#include <thread>

#include "kreg/json_format.hpp"
#include "support/process.h"
#include "zk_test_util.h"

namespace kreg {
namespace testing {
namespace {

TEST(ZooKeeperOptions, RejectsBadOptionsBeforeConnecting) {
  OpenOptions o;
  o.addrs = {"127.0.0.1:1"};
  Registry r;

  o.options = {{"sesion_timeout", "5s"}};
  Status s = OpenZk(o, &r);
  EXPECT_EQ(s.code(), KREG_INVALID_ARGUMENT);
  EXPECT_NE(s.message().find("sesion_timeout"), std::string::npos) << s.message();

  o.options = {{"session_timeout", "5 seconds"}};
  EXPECT_EQ(OpenZk(o, &r).code(), KREG_INVALID_ARGUMENT);

  o.options = {{"read_acl", "creator"}};  // needs a username
  EXPECT_EQ(OpenZk(o, &r).code(), KREG_INVALID_ARGUMENT);

  o.options = {};
  o.root = "discovery";
  EXPECT_EQ(OpenZk(o, &r).code(), KREG_INVALID_ARGUMENT);

  OpenOptions none;
  EXPECT_EQ(OpenZk(none, &r).code(), KREG_INVALID_ARGUMENT);
}

TEST(ZooKeeperOptions, UnreachableEnsembleIsUnavailableWithinTheTimeout) {
  OpenOptions o;
  o.addrs = {"127.0.0.1:1"};  // nothing listens on port 1
  o.timeout = std::chrono::milliseconds(1500);
  Registry r;
  auto start = std::chrono::steady_clock::now();
  Status s = OpenZk(o, &r);
  EXPECT_EQ(s.code(), KREG_UNAVAILABLE) << s.ToString();
  EXPECT_NE(s.message().find("127.0.0.1:1"), std::string::npos) << s.message();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

TEST(ZooKeeperCore, RegisterGetListDeregister) {
  KREG_START_ZOOKEEPER(zk, 1);
  Registry r;
  ASSERT_TRUE(OpenZk(ZkOptions(*zk), &r).ok());
  EXPECT_EQ(r.Type(), "zookeeper");

  Service missing;
  EXPECT_EQ(r.GetService("svc", &missing).code(), KREG_NOT_FOUND);

  ASSERT_TRUE(r.Register(MakeInstance("svc", "a", "z1")).ok());
  ASSERT_TRUE(r.Register(MakeInstance("svc", "b", "z2")).ok());
  ASSERT_TRUE(r.Register(MakeInstance("other", "c")).ok());

  Service svc;
  ASSERT_TRUE(r.GetService("svc", &svc).ok());
  EXPECT_EQ(svc.service_name, "svc");
  ASSERT_EQ(svc.instance_count(), 2u);
  ASSERT_EQ(svc.instances.count("z1"), 1u);
  const Instance& a = *svc.instances["z1"]["a"];
  EXPECT_EQ(a.hostname, "host-a");
  EXPECT_EQ(a.addrs.at("http"), "10.0.0.1:8080");
  EXPECT_GT(a.reg_time, 0);
  EXPECT_GT(a.version, 0);
  EXPECT_EQ(a.data_version, 0);
  EXPECT_GE(svc.version, svc.instances["z2"]["b"]->version);

  std::vector<Service> all;
  ASSERT_TRUE(r.ListServices(&all).ok());
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].service_name, "other");
  EXPECT_EQ(all[1].service_name, "svc");

  int64_t before = svc.version;
  ASSERT_TRUE(r.Deregister("svc", "a").ok());
  ASSERT_TRUE(r.Deregister("svc", "a").ok());        // absent: not an error
  ASSERT_TRUE(r.Deregister("svc", "never").ok());    // never existed
  ASSERT_TRUE(r.Deregister("nosuch", "never").ok()); // nor its service
  ASSERT_TRUE(r.GetService("svc", &svc).ok());
  EXPECT_EQ(svc.instance_count(), 1u);
  EXPECT_GT(svc.version, before) << "a delete moves the service version (the dir's pzxid)";

  // An emptied service still exists.
  ASSERT_TRUE(r.Deregister("svc", "b").ok());
  ASSERT_TRUE(r.GetService("svc", &svc).ok());
  EXPECT_EQ(svc.instance_count(), 0u);
}

TEST(ZooKeeperCore, KeepaliveWritesNothingAndRefreshRewrites) {
  KREG_START_ZOOKEEPER(zk, 1);
  Registry r;
  ASSERT_TRUE(OpenZk(ZkOptions(*zk), &r).ok());
  RawClient raw(zk->connect_string());
  ASSERT_TRUE(raw.connected());
  const std::string path = "/discovery/svc/instance/a";

  Instance in = MakeInstance("svc", "a");
  ASSERT_TRUE(r.Register(in).ok());
  std::string data;
  Stat first{};
  ASSERT_EQ(raw.Get(path, &data, &first), ZOK);

  in.hostname = "changed-but-not-refreshed";
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(r.Register(in).ok());
  Stat after{};
  ASSERT_EQ(raw.Get(path, &data, &after), ZOK);
  EXPECT_EQ(after.mzxid, first.mzxid) << "a keepalive must not write";
  EXPECT_EQ(after.version, 0);
  EXPECT_EQ(data.find("changed"), std::string::npos);

  RegisterOptions refresh;
  refresh.refresh = true;
  ASSERT_TRUE(r.Register(in, refresh).ok());
  ASSERT_EQ(raw.Get(path, &data, &after), ZOK);
  EXPECT_GT(after.mzxid, first.mzxid);
  EXPECT_EQ(after.version, 1);
  EXPECT_EQ(after.czxid, first.czxid) << "refresh is a setData, not a re-create";
  EXPECT_NE(data.find("changed-but-not-refreshed"), std::string::npos);

  Service svc;
  ASSERT_TRUE(r.GetService("svc", &svc).ok());
  const Instance& got = *svc.instances["z1"]["a"];
  EXPECT_EQ(got.hostname, "changed-but-not-refreshed");
  EXPECT_EQ(got.data_version, 1);
  EXPECT_EQ(got.version, after.mzxid);
  EXPECT_EQ(svc.version, after.mzxid);
}

// The packets the server has received so far (srvr's "Received:").
int64_t ServerReceived(const ZooKeeperServer& zk) {
  std::string srvr = zk.Srvr(0);
  size_t at = srvr.find("Received: ");
  return at == std::string::npos ? -1 : std::stoll(srvr.substr(at + 10));
}

TEST(ZooKeeperCore, KeepaliveIsAHashLookup) {
  KREG_START_ZOOKEEPER(zk, 1);
  Registry r;
  ASSERT_TRUE(OpenZk(ZkOptions(*zk), &r).ok());
  Instance in = MakeInstance("svc", "a");
  ASSERT_TRUE(r.Register(in).ok());
  constexpr int kCalls = 20000;
  int64_t received_before = ServerReceived(*zk);
  ASSERT_GE(received_before, 0);
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kCalls; ++i) ASSERT_TRUE(r.Register(in).ok());
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // Only the session's pings reach the server meanwhile.
  EXPECT_LT(ServerReceived(*zk) - received_before, 50) << "a keepalive must not send a request";
  double rate = kCalls / seconds;
  RecordProperty("keepalives_per_second", static_cast<int>(rate));
  std::printf("keepalives through the C ABI: %.0f/s on one thread\n", rate);
}

TEST(ZooKeeperCore, LapsedLeaseDeletesTheInstance) {
  KREG_START_ZOOKEEPER(zk, 1);
  Registry r;
  ASSERT_TRUE(OpenZk(ZkOptions(*zk), &r).ok());
  RegisterOptions short_lease;
  short_lease.ttl = std::chrono::milliseconds(600);
  RegisterOptions long_lease;
  long_lease.ttl = std::chrono::seconds(60);
  ASSERT_TRUE(r.Register(MakeInstance("svc", "short"), short_lease).ok());
  ASSERT_TRUE(r.Register(MakeInstance("svc", "kept"), short_lease).ok());
  ASSERT_TRUE(r.Register(MakeInstance("svc", "long"), long_lease).ok());

  // Keep "kept" alive well inside its lease while "short" lapses.
  auto gone = [&] {
    EXPECT_TRUE(r.Register(MakeInstance("svc", "kept"), short_lease).ok());
    Service svc;
    return r.GetService("svc", &svc).ok() && InstancesById(svc).count("short") == 0;
  };
  ASSERT_TRUE(WaitFor(gone, std::chrono::seconds(20)));
  Service svc;
  ASSERT_TRUE(r.GetService("svc", &svc).ok());
  auto ids = InstancesById(svc);
  EXPECT_EQ(ids.count("kept"), 1u);
  EXPECT_EQ(ids.count("long"), 1u);

  // After expiry a register creates it again.
  ASSERT_TRUE(r.Register(MakeInstance("svc", "short"), long_lease).ok());
  ASSERT_TRUE(r.GetService("svc", &svc).ok());
  EXPECT_EQ(InstancesById(svc).count("short"), 1u);
}

TEST(ZooKeeperCore, InstancesDieWithTheRegistry) {
  KREG_START_ZOOKEEPER(zk, 1);
  RawClient raw(zk->connect_string());
  {
    Registry r;
    ASSERT_TRUE(OpenZk(ZkOptions(*zk), &r).ok());
    ASSERT_TRUE(r.Register(MakeInstance("svc", "a")).ok());
    Stat stat{};
    ASSERT_EQ(raw.Exists("/discovery/svc/instance/a", &stat), ZOK);
    EXPECT_NE(stat.ephemeralOwner, 0) << "instances are ephemeral";
  }
  EXPECT_EQ(raw.Exists("/discovery/svc/instance/a"), ZNONODE);
}

TEST(ZooKeeperCore, PropertyIsMergedIntoTheService) {
  KREG_START_ZOOKEEPER(zk, 1);
  Registry r;
  ASSERT_TRUE(OpenZk(ZkOptions(*zk), &r).ok());
  ASSERT_TRUE(r.Register(MakeInstance("svc", "a")).ok());
  Property p;
  p.service_name = "svc";
  p.zone_weights["z1"].src = "z1";
  p.zone_weights["z1"].dst = {{"z1", 80}, {"z2", 20}};
  p.attrs["a"] = {{kMetadataOnline, "N"}};
  ASSERT_TRUE(r.SetProperty(p).ok());
  p.attrs["a"]["color"] = "blue";
  ASSERT_TRUE(r.SetProperty(p).ok());  // replaces

  Service svc;
  ASSERT_TRUE(r.GetService("svc", &svc).ok());
  const Instance& a = *svc.instances["z1"]["a"];
  EXPECT_FALSE(a.online());
  EXPECT_EQ(a.metadata.at("color"), "blue");
  EXPECT_EQ(a.metadata.at("weight"), "10");
  ASSERT_EQ(svc.metadata.count(kMetadataZoneWeight), 1u);
  EXPECT_NE(svc.metadata[kMetadataZoneWeight].find("80"), std::string::npos);

  // A property alone makes its service exist.
  Property lone;
  lone.service_name = "lonely";
  ASSERT_TRUE(r.SetProperty(lone).ok());
  Service s2;
  ASSERT_TRUE(r.GetService("lonely", &s2).ok());
  EXPECT_EQ(s2.instance_count(), 0u);
  EXPECT_GT(s2.version, 0);
}

TEST(ZooKeeperCore, RefusesOversizeAndBadNamesBeforeWriting) {
  KREG_START_ZOOKEEPER(zk, 1);
  Registry r;
  ASSERT_TRUE(OpenZk(ZkOptions(*zk), &r).ok());
  Instance big = MakeInstance("svc", "big");
  big.metadata["blob"] = std::string(1100 * 1024, 'x');
  Status s = r.Register(big);
  EXPECT_EQ(s.code(), KREG_INVALID_ARGUMENT) << s.ToString();
  EXPECT_NE(s.message().find("big"), std::string::npos);
  Service svc;
  EXPECT_EQ(r.GetService("svc", &svc).code(), KREG_NOT_FOUND) << "nothing was written";

  Instance fits = MakeInstance("svc", "fits");
  fits.metadata["blob"] = std::string(900 * 1024, 'x');
  EXPECT_TRUE(r.Register(fits).ok());

  EXPECT_EQ(r.Register(MakeInstance("svc", "a/b")).code(), KREG_INVALID_ARGUMENT);
  EXPECT_EQ(r.Register(MakeInstance("..", "a")).code(), KREG_INVALID_ARGUMENT);
}

TEST(ZooKeeperCore, CustomRootIsCreatedAndUsed) {
  KREG_START_ZOOKEEPER(zk, 1);
  Registry r;
  ASSERT_TRUE(OpenZk(ZkOptions(*zk, "/a/b/c/"), &r).ok());
  ASSERT_TRUE(r.Register(MakeInstance("svc", "x")).ok());
  RawClient raw(zk->connect_string());
  EXPECT_EQ(raw.Exists("/a/b/c/svc/instance/x"), ZOK);
  EXPECT_EQ(raw.Exists("/discovery"), ZNONODE);
  std::vector<Service> all;
  ASSERT_TRUE(r.ListServices(&all).ok());
  ASSERT_EQ(all.size(), 1u);
}

TEST(ZooKeeperCore, OperationsFailClearlyWhileTheServerIsDown) {
  KREG_START_ZOOKEEPER(zk, 1);
  OpenOptions o = ZkOptions(*zk);
  o.timeout = std::chrono::milliseconds(1500);
  Registry r;
  ASSERT_TRUE(OpenZk(o, &r).ok());
  zk->Kill(0);
  auto start = std::chrono::steady_clock::now();
  Status s = r.Register(MakeInstance("svc", "a"));
  EXPECT_TRUE(s.code() == KREG_UNAVAILABLE || s.code() == KREG_TIMEOUT) << s.ToString();
  EXPECT_NE(s.message().find("/discovery/svc/instance/a"), std::string::npos) << s.message();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(8));
  Service svc;
  s = r.GetService("svc", &svc);
  EXPECT_TRUE(s.code() == KREG_UNAVAILABLE || s.code() == KREG_TIMEOUT) << s.ToString();
}

}  // namespace
}  // namespace testing
}  // namespace kreg
