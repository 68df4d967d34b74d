// GetService answered from the watch-maintained cache (service_cache.h):
// read-your-writes for the process's own changes, other clients' changes
// seen through watches, a connection loss never serving a stale snapshot.
#include <gtest/gtest.h>

#include <thread>

#include "kreg/json_format.hpp"
#include "support/process.h"
#include "zk_test_util.h"

namespace kreg {
namespace testing {
namespace {

constexpr std::chrono::seconds kPatience{30};

size_t Count(const Registry& r, const std::string& service) {
  Service s;
  return r.GetService(service, &s).ok() ? s.instance_count() : 0;
}

TEST(ZooKeeperCache, EveryReadSeesTheWritesThatReturnedBeforeIt) {
  KREG_START_ZOOKEEPER(zk, 1);
  Registry r;
  ASSERT_TRUE(OpenZk(ZkOptions(*zk), &r).ok());
  ASSERT_TRUE(r.Register(MakeInstance("svc", "seed")).ok());
  for (int i = 0; i < 100; ++i) {
    std::string id = "i" + std::to_string(i);
    ASSERT_TRUE(r.Register(MakeInstance("svc", id)).ok());
    Service s;
    ASSERT_TRUE(r.GetService("svc", &s).ok());
    ASSERT_EQ(InstancesById(s).count(id), 1u) << "register " << i << " not seen";

    Instance changed = MakeInstance("svc", id);
    changed.metadata["round"] = std::to_string(i);
    ASSERT_TRUE(r.Register(changed, RegisterOptions{kDefaultTtl, true}).ok());
    ASSERT_TRUE(r.GetService("svc", &s).ok());
    ASSERT_EQ(InstancesById(s)[id].metadata["round"], std::to_string(i)) << "refresh " << i << " not seen";

    if (i % 2 == 0) {
      ASSERT_TRUE(r.Deregister("svc", id).ok());
      ASSERT_TRUE(r.GetService("svc", &s).ok());
      ASSERT_EQ(InstancesById(s).count(id), 0u) << "deregister " << i << " not seen";
    }
    Property p;
    p.service_name = "svc";
    p.attrs["seed"]["round"] = std::to_string(i);
    ASSERT_TRUE(r.SetProperty(p).ok());
    ASSERT_TRUE(r.GetService("svc", &s).ok());
    ASSERT_EQ(InstancesById(s)["seed"].metadata["round"], std::to_string(i)) << "property " << i << " not seen";
  }
}

TEST(ZooKeeperCache, SnapshotsAreSharedUntilTheServiceChanges) {
  KREG_START_ZOOKEEPER(zk, 1);
  Registry r;
  ASSERT_TRUE(OpenZk(ZkOptions(*zk), &r).ok());
  ASSERT_TRUE(r.Register(MakeInstance("svc", "a")).ok());
  std::shared_ptr<const Service> first, second, third;
  ASSERT_TRUE(r.GetService("svc", &first).ok());
  ASSERT_TRUE(r.GetService("svc", &second).ok());
  EXPECT_EQ(first.get(), second.get());
  ASSERT_TRUE(r.Register(MakeInstance("svc", "b")).ok());
  ASSERT_TRUE(r.GetService("svc", &third).ok());
  EXPECT_NE(third.get(), second.get());
  EXPECT_GT(third->version, second->version);
  EXPECT_EQ(third->instance_count(), 2u);
  EXPECT_EQ(first->instance_count(), 1u);  // a snapshot never changes

  ASSERT_TRUE(r.Deregister("svc", "a").ok());
  ASSERT_TRUE(r.Deregister("svc", "b").ok());
  std::shared_ptr<const Service> empty;
  ASSERT_TRUE(r.GetService("svc", &empty).ok());
  EXPECT_EQ(empty->instance_count(), 0u);
  EXPECT_GT(empty->version, third->version);
}

// A snapshot after a change copies the instances that did not change from
// the one before: what it serves must equal a whole read of the store.
TEST(ZooKeeperCache, ASnapshotBuiltFromTheLastOneEqualsAWholeRead) {
  KREG_START_ZOOKEEPER(zk, 1);
  Registry r;
  ASSERT_TRUE(OpenZk(ZkOptions(*zk), &r).ok());
  for (const char* id : {"a", "b", "c"}) ASSERT_TRUE(r.Register(MakeInstance("svc", id)).ok());
  // The host's snapshot is its last one with the plugin's delta applied.
  auto same_as_a_whole_read = [&](const char* step) {
    Service cached, whole;
    std::shared_ptr<const Service> applied;
    ASSERT_TRUE(r.GetService("svc", &cached).ok()) << step;
    ASSERT_TRUE(r.GetService("svc", &applied).ok()) << step;
    Registry fresh;  // its first read decodes every record
    ASSERT_TRUE(OpenZk(ZkOptions(*zk), &fresh).ok()) << step;
    ASSERT_TRUE(fresh.GetService("svc", &whole).ok()) << step;
    EXPECT_EQ(format::ServiceToJson(cached).dump(), format::ServiceToJson(whole).dump()) << step;
    EXPECT_EQ(format::ServiceToJson(*applied).dump(), format::ServiceToJson(whole).dump()) << step;
  };
  same_as_a_whole_read("registered");
  Property p;
  p.service_name = "svc";
  p.attrs["a"]["k"] = "v";
  ASSERT_TRUE(r.SetProperty(p).ok());
  same_as_a_whole_read("property set");
  Instance b = MakeInstance("svc", "b");
  b.hostname = "moved.example";
  ASSERT_TRUE(r.Register(b, RegisterOptions{kDefaultTtl, true}).ok());
  same_as_a_whole_read("b refreshed under the property");
  p.attrs.clear();
  p.attrs["c"]["k"] = "w";  // a's attribute goes
  ASSERT_TRUE(r.SetProperty(p).ok());
  Service s;
  ASSERT_TRUE(r.GetService("svc", &s).ok());
  EXPECT_EQ(InstancesById(s)["a"].metadata.count("k"), 0u);
  EXPECT_EQ(InstancesById(s)["c"].metadata["k"], "w");
  same_as_a_whole_read("property changed");
  ASSERT_TRUE(r.Deregister("svc", "c").ok());
  same_as_a_whole_read("c deregistered");
}

// A change to one instance crosses the ABI as that instance alone
// (get_service_changes): the host's new snapshot holds the very objects of
// the last one for the others.
TEST(ZooKeeperCache, UnchangedInstancesAreSharedAcrossSnapshots) {
  KREG_START_ZOOKEEPER(zk, 1);
  Registry r;
  ASSERT_TRUE(OpenZk(ZkOptions(*zk), &r).ok());
  for (const char* id : {"a", "b", "c"}) ASSERT_TRUE(r.Register(MakeInstance("svc", id)).ok());
  std::shared_ptr<const Service> before, after;
  ASSERT_TRUE(r.GetService("svc", &before).ok());
  Instance b = MakeInstance("svc", "b");
  b.hostname = "moved.example";
  ASSERT_TRUE(r.Register(b, RegisterOptions{kDefaultTtl, true}).ok());
  ASSERT_TRUE(r.GetService("svc", &after).ok());
  ASSERT_GT(after->version, before->version);
  const auto& was = before->instances.at("z1");
  const auto& now = after->instances.at("z1");
  EXPECT_EQ(now.at("a"), was.at("a"));
  EXPECT_EQ(now.at("c"), was.at("c"));
  EXPECT_NE(now.at("b"), was.at("b"));
  EXPECT_EQ(now.at("b")->hostname, "moved.example");
  EXPECT_EQ(was.at("b")->hostname, "host-b") << "a snapshot never changes";
}

TEST(ZooKeeperCache, OtherClientsChangesArriveThroughWatches) {
  KREG_START_ZOOKEEPER(zk, 1);
  Registry reader, writer;
  ASSERT_TRUE(OpenZk(ZkOptions(*zk), &reader).ok());
  ASSERT_TRUE(OpenZk(ZkOptions(*zk), &writer).ok());
  ASSERT_TRUE(writer.Register(MakeInstance("svc", "a")).ok());
  ASSERT_EQ(Count(reader, "svc"), 1u);

  ASSERT_TRUE(writer.Register(MakeInstance("svc", "b")).ok());
  EXPECT_TRUE(WaitFor([&] { return Count(reader, "svc") == 2; }, kPatience));
  Instance changed = MakeInstance("svc", "b");
  changed.hostname = "moved.example";
  ASSERT_TRUE(writer.Register(changed, RegisterOptions{kDefaultTtl, true}).ok());
  EXPECT_TRUE(WaitFor([&] {
    Service s;
    return reader.GetService("svc", &s).ok() && InstancesById(s)["b"].hostname == "moved.example";
  }, kPatience));
  ASSERT_TRUE(writer.Deregister("svc", "a").ok());
  EXPECT_TRUE(WaitFor([&] { return Count(reader, "svc") == 1; }, kPatience));

  // A node another tool breaks is dropped, and comes back when mended.
  RawClient raw(zk->connect_string());
  std::string good;
  ASSERT_EQ(raw.Get("/discovery/svc/instance/b", &good), ZOK);
  ASSERT_EQ(raw.Set("/discovery/svc/instance/b", "{not json"), ZOK);
  EXPECT_TRUE(WaitFor([&] { return Count(reader, "svc") == 0; }, kPatience));
  ASSERT_EQ(raw.Set("/discovery/svc/instance/b", good), ZOK);
  EXPECT_TRUE(WaitFor([&] { return Count(reader, "svc") == 1; }, kPatience));

  // The whole service removed by another tool: NOT_FOUND, not a stale copy.
  writer = Registry();  // its session ends: the ephemeral b goes
  ASSERT_EQ(raw.Delete("/discovery/svc/instance"), ZOK);
  ASSERT_EQ(raw.Delete("/discovery/svc"), ZOK);
  EXPECT_TRUE(WaitFor([&] {
    Service s;
    return reader.GetService("svc", &s).code() == KREG_NOT_FOUND;
  }, kPatience));
}

TEST(ZooKeeperCache, AnUnchangedServiceIsServedWithoutTheServer) {
  KREG_START_ZOOKEEPER(zk, 1);
  OpenOptions options = ZkOptions(*zk);
  options.timeout = std::chrono::seconds(60);
  Registry r;
  ASSERT_TRUE(OpenZk(options, &r).ok());
  ASSERT_TRUE(r.Register(MakeInstance("svc", "a")).ok());
  ASSERT_EQ(Count(r, "svc"), 1u);
  // A frozen server answers nothing; the session outlives this read by
  // seconds, so only a cached answer can come back OK.
  zk->Pause(0);
  Service s;
  Status st = r.GetService("svc", &s);
  zk->Resume(0);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(s.instance_count(), 1u);
}

TEST(ZooKeeperCache, AfterAConnectionLossTheServiceIsReadAgain) {
  KREG_START_ZOOKEEPER(zk, 1);
  OpenOptions options = ZkOptions(*zk);
  options.options["session_timeout"] = "30s";  // the session survives the restart
  options.timeout = std::chrono::seconds(60);
  Registry reader;
  ASSERT_TRUE(OpenZk(options, &reader).ok());
  RawClient raw(zk->connect_string());
  ASSERT_EQ(raw.CreateAll("/discovery/svc/instance/a", format::EncodeInstance(MakeInstance("svc", "a"))), ZOK);
  ASSERT_EQ(Count(reader, "svc"), 1u);

  zk->Stop(0);
  std::string error;
  ASSERT_TRUE(zk->Restart(0, &error)) << error;
  RawClient other(zk->connect_string());
  ASSERT_EQ(other.CreateAll("/discovery/svc/instance/b", format::EncodeInstance(MakeInstance("svc", "b"))), ZOK);
  EXPECT_TRUE(WaitFor([&] { return Count(reader, "svc") == 2; }, std::chrono::seconds(60)));
}

}  // namespace
}  // namespace testing
}  // namespace kreg
