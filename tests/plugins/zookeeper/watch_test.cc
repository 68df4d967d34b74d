// The watch: initial state then SYNCED, live creates/modifies/deletes with
// zxid versions, property events, cancellation.
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "kreg/json_format.hpp"
#include "support/process.h"
#include "zk_test_util.h"

namespace kreg {
namespace testing {
namespace {

TEST(ZooKeeperWatch, StartsWithTheCurrentStateThenSynced) {
  KREG_START_ZOOKEEPER(zk, 1);
  Registry r;
  ASSERT_TRUE(OpenZk(ZkOptions(*zk), &r).ok());
  ASSERT_TRUE(r.Register(MakeInstance("svc", "a")).ok());
  ASSERT_TRUE(r.Register(MakeInstance("svc", "b")).ok());
  Property p;
  p.service_name = "svc";
  p.attrs["a"] = {{"k", "v"}};
  ASSERT_TRUE(r.SetProperty(p).ok());
  RegisterOptions refresh;
  refresh.refresh = true;
  ASSERT_TRUE(r.Register(MakeInstance("svc", "b"), refresh).ok());

  EventRecorder rec;
  std::unique_ptr<Watch> w;
  ASSERT_TRUE(r.StartWatch(rec.Callback(), &w).ok());
  ASSERT_TRUE(rec.WaitSynced());
  std::vector<WatchEvent> events = rec.events();
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events.back().type, EventType::kSynced);
  EXPECT_EQ(rec.count(EventType::kCreate, EventInfo::kInstance), 2u);
  EXPECT_EQ(rec.count(EventType::kCreate, EventInfo::kProperty), 1u);
  EXPECT_TRUE(rec.violations().empty()) << rec.violations()[0];

  // The service's version equals the version of its latest event.
  Service svc;
  ASSERT_TRUE(r.GetService("svc", &svc).ok());
  EXPECT_EQ(rec.model().versions["svc"], svc.version);
  // b was refreshed: its create carries that state's zxid and data version.
  Instance b = rec.model().instances["svc"]["b"];
  EXPECT_EQ(b.data_version, 1);
  EXPECT_EQ(b.version, InstancesById(svc)["b"].version);
}

TEST(ZooKeeperWatch, ReportsLiveChangesInOrderWithIncreasingVersions) {
  KREG_START_ZOOKEEPER(zk, 1);
  Registry r;
  ASSERT_TRUE(OpenZk(ZkOptions(*zk), &r).ok());
  EventRecorder rec;
  std::unique_ptr<Watch> w;
  ASSERT_TRUE(r.StartWatch(rec.Callback(), &w).ok());
  ASSERT_TRUE(rec.WaitSynced());
  EXPECT_EQ(rec.events().size(), 1u);

  ASSERT_TRUE(r.Register(MakeInstance("svc", "a")).ok());
  ASSERT_TRUE(rec.WaitUntil([](const EventRecorder::Model& m) {
    return m.instances.count("svc") != 0 && m.instances.at("svc").count("a") != 0;
  }));

  Instance changed = MakeInstance("svc", "a");
  changed.hostname = "moved";
  RegisterOptions refresh;
  refresh.refresh = true;
  ASSERT_TRUE(r.Register(changed, refresh).ok());
  ASSERT_TRUE(rec.WaitUntil([](const EventRecorder::Model& m) {
    return m.instances.count("svc") != 0 && m.instances.at("svc").count("a") != 0 &&
           m.instances.at("svc").at("a").hostname == "moved";
  }));
  ASSERT_TRUE(r.Deregister("svc", "a").ok());
  ASSERT_TRUE(rec.WaitUntil([](const EventRecorder::Model& m) { return m.instances.count("svc") == 0; }));

  std::vector<WatchEvent> events = rec.events();
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[1].type, EventType::kCreate);
  EXPECT_EQ(events[2].type, EventType::kModify);
  EXPECT_EQ(events[2].data_version, 1);
  EXPECT_EQ(events[3].type, EventType::kDelete);
  EXPECT_EQ(events[3].instance.id, "a");
  EXPECT_EQ(events[3].service_name, "svc");
  EXPECT_TRUE(rec.violations().empty()) << rec.violations()[0];
  Service svc;
  ASSERT_TRUE(r.GetService("svc", &svc).ok());
  EXPECT_EQ(svc.version, events[3].version) << "the delete carries the directory's pzxid";
}

TEST(ZooKeeperWatch, PropertyEvents) {
  KREG_START_ZOOKEEPER(zk, 1);
  Registry r;
  ASSERT_TRUE(OpenZk(ZkOptions(*zk), &r).ok());
  EventRecorder rec;
  std::unique_ptr<Watch> w;
  ASSERT_TRUE(r.StartWatch(rec.Callback(), &w).ok());
  ASSERT_TRUE(rec.WaitSynced());
  Property p;
  p.service_name = "svc";
  p.zone_weights["z1"].src = "z1";
  p.zone_weights["z1"].dst["z2"] = 7;
  ASSERT_TRUE(r.SetProperty(p).ok());
  ASSERT_TRUE(rec.WaitUntil([](const EventRecorder::Model& m) { return m.properties.count("svc") != 0; }));
  p.zone_weights["z1"].dst["z2"] = 9;
  ASSERT_TRUE(r.SetProperty(p).ok());
  ASSERT_TRUE(rec.WaitUntil([](const EventRecorder::Model& m) {
    return m.properties.count("svc") != 0 && m.properties.at("svc").zone_weights.at("z1").dst.at("z2") == 9;
  }));
  EXPECT_EQ(rec.count(EventType::kCreate, EventInfo::kProperty), 1u);
  EXPECT_EQ(rec.count(EventType::kModify, EventInfo::kProperty), 1u);
  EXPECT_TRUE(rec.violations().empty()) << rec.violations()[0];
}

TEST(ZooKeeperWatch, ManyChangesEndInTheServersState) {
  KREG_START_ZOOKEEPER(zk, 1);
  Registry r;
  ASSERT_TRUE(OpenZk(ZkOptions(*zk), &r).ok());
  EventRecorder rec;
  std::unique_ptr<Watch> w;
  ASSERT_TRUE(r.StartWatch(rec.Callback(), &w).ok());
  ASSERT_TRUE(rec.WaitSynced());
  RegisterOptions refresh;
  refresh.refresh = true;
  for (int i = 0; i < 60; ++i) {
    std::string service = "svc" + std::to_string(i % 3);
    std::string id = "i" + std::to_string(i % 7);
    if (i % 4 == 3) {
      ASSERT_TRUE(r.Deregister(service, id).ok());
    } else {
      Instance in = MakeInstance(service, id);
      in.hostname = "h" + std::to_string(i);
      ASSERT_TRUE(r.Register(in, refresh).ok());
    }
  }
  auto server = ServerView(r);
  ASSERT_TRUE(rec.WaitUntil([&](const EventRecorder::Model& m) { return ModelView(m) == server; }))
      << "the watch's final state differs from the server's:\n" << DescribeDiff(server, ModelView(rec.model()));
  EXPECT_TRUE(rec.violations().empty()) << rec.violations()[0];
}

TEST(ZooKeeperWatch, LargeServiceIsReadInOneGo) {
  KREG_START_ZOOKEEPER(zk, 1);
  Registry r;
  ASSERT_TRUE(OpenZk(ZkOptions(*zk), &r).ok());
  constexpr size_t kInstances = 1500;
  for (size_t i = 0; i < kInstances; ++i) {
    ASSERT_TRUE(r.Register(MakeInstance("big", "i" + std::to_string(i), "z" + std::to_string(i % 3))).ok());
  }
  Service svc;
  ASSERT_TRUE(r.GetService("big", &svc).ok());
  EXPECT_EQ(svc.instance_count(), kInstances);
  EventRecorder rec;
  std::unique_ptr<Watch> w;
  ASSERT_TRUE(r.StartWatch(rec.Callback(), &w).ok());
  ASSERT_TRUE(rec.WaitSynced());
  EXPECT_EQ(rec.model().instances["big"].size(), kInstances);
  EXPECT_EQ(rec.model().versions["big"], svc.version);
  EXPECT_TRUE(rec.violations().empty()) << rec.violations()[0];
}

TEST(ZooKeeperWatch, CancelFromInsideTheCallbackStopsDelivery) {
  KREG_START_ZOOKEEPER(zk, 1);
  Registry r;
  ASSERT_TRUE(OpenZk(ZkOptions(*zk), &r).ok());
  std::atomic<int> calls{0};
  std::unique_ptr<Watch> w;
  std::atomic<Watch*> self{nullptr};
  ASSERT_TRUE(r.StartWatch(
                   [&](const WatchEvent& e) {
                     ++calls;
                     if (e.type == EventType::kCreate && self.load() != nullptr) self.load()->Cancel();
                   },
                   &w)
                  .ok());
  self.store(w.get());
  ASSERT_TRUE(WaitFor([&] { return calls.load() >= 1; }, std::chrono::seconds(10)));  // SYNCED
  ASSERT_TRUE(r.Register(MakeInstance("svc", "a")).ok());
  ASSERT_TRUE(WaitFor([&] { return calls.load() >= 2; }, std::chrono::seconds(10)));
  ASSERT_TRUE(r.Register(MakeInstance("svc", "b")).ok());
  ASSERT_TRUE(r.Deregister("svc", "a").ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // room for a wrong delivery
  EXPECT_EQ(calls.load(), 2);
}

// A process holding many instances exits: the server deletes them all in
// one transaction, so their deletes share its zxid, which is also what
// GetService and a watch started afterwards report.
TEST(ZooKeeperWatch, ASessionsInstancesGoInOneStateWithOneVersion) {
  KREG_START_ZOOKEEPER(zk, 1);
  Registry r;
  ASSERT_TRUE(OpenZk(ZkOptions(*zk), &r).ok());
  ASSERT_TRUE(r.Register(MakeInstance("svc", "stays")).ok());
  EventRecorder rec;
  std::unique_ptr<Watch> w;
  ASSERT_TRUE(r.StartWatch(rec.Callback(), &w).ok());
  ASSERT_TRUE(rec.WaitSynced());
  constexpr int kGoing = 500;
  {
    Registry holder;
    ASSERT_TRUE(OpenZk(ZkOptions(*zk), &holder).ok());
    for (int i = 0; i < kGoing; ++i) ASSERT_TRUE(holder.Register(MakeInstance("svc", "g" + std::to_string(i))).ok());
    ASSERT_TRUE(rec.WaitUntil([](const EventRecorder::Model& m) { return m.instances.at("svc").size() == kGoing + 1; }));
  }  // its session closes
  ASSERT_TRUE(rec.WaitUntil([](const EventRecorder::Model& m) { return m.instances.at("svc").size() == 1; }));
  EXPECT_TRUE(rec.violations().empty()) << rec.violations()[0];
  std::set<int64_t> delete_versions;
  for (const WatchEvent& e : rec.events()) {
    if (e.type == EventType::kDelete) delete_versions.insert(e.version);
  }
  ASSERT_EQ(delete_versions.size(), 1u) << "one transaction, one state, one version";
  Service svc;
  ASSERT_TRUE(r.GetService("svc", &svc).ok());
  EXPECT_EQ(svc.version, *delete_versions.begin());
  EXPECT_EQ(rec.model().versions["svc"], svc.version);

  Registry later;
  ASSERT_TRUE(OpenZk(ZkOptions(*zk), &later).ok());
  EventRecorder late;
  std::unique_ptr<Watch> late_watch;
  ASSERT_TRUE(later.StartWatch(late.Callback(), &late_watch).ok());
  ASSERT_TRUE(late.WaitSynced());
  EXPECT_TRUE(late.violations().empty()) << late.violations()[0];
  EXPECT_EQ(late.model().versions["svc"], svc.version) << "a later watch starts where the first one is";
}

// The mirror finds a listing's deletes only when it lists fewer children
// than it knows: one transaction that swaps an instance for another (and
// adds a child that is no record) keeps the count, and must still report
// both.
TEST(ZooKeeperWatch, OneListingThatSwapsAnInstanceForAnotherReportsBoth) {
  KREG_START_ZOOKEEPER(zk, 1);
  RawClient raw(zk->connect_string());
  const std::string dir = "/discovery/svc/instance/";
  ASSERT_EQ(raw.CreateAll(dir + "a", format::EncodeInstance(MakeInstance("svc", "a"))), ZOK);
  ASSERT_EQ(raw.CreateAll(dir + "b", format::EncodeInstance(MakeInstance("svc", "b"))), ZOK);
  Registry r;
  ASSERT_TRUE(OpenZk(ZkOptions(*zk), &r).ok());
  EventRecorder rec;
  std::unique_ptr<Watch> w;
  ASSERT_TRUE(r.StartWatch(rec.Callback(), &w).ok());
  ASSERT_TRUE(rec.WaitSynced());

  auto in_one_transaction = [&](const std::vector<std::pair<std::string, std::string>>& creates,
                                const std::vector<std::string>& deletes) {
    std::vector<zoo_op_t> ops(creates.size() + deletes.size());
    std::vector<zoo_op_result_t> results(ops.size());
    size_t i = 0;
    for (const std::string& path : deletes) zoo_delete_op_init(&ops[i++], path.c_str(), -1);
    for (const auto& [path, data] : creates) {
      zoo_create_op_init(&ops[i++], path.c_str(), data.data(), static_cast<int>(data.size()), &ZOO_OPEN_ACL_UNSAFE,
                         0, nullptr, 0);
    }
    return zoo_multi(raw.handle(), static_cast<int>(ops.size()), ops.data(), results.data());
  };
  ASSERT_EQ(in_one_transaction({{dir + "c", format::EncodeInstance(MakeInstance("svc", "c"))},
                                {dir + "no id!", "{}"}},
                               {dir + "a"}),
            ZOK);
  ASSERT_TRUE(rec.WaitUntil([](const EventRecorder::Model& m) {
    return m.instances.at("svc").count("c") != 0 && m.instances.at("svc").count("a") == 0;
  }));
  EXPECT_EQ(rec.model().instances.at("svc").size(), 2u);  // b and c

  // The skipped child and b go together, c stays: fewer listed than known.
  ASSERT_EQ(in_one_transaction({}, {dir + "no id!", dir + "b"}), ZOK);
  ASSERT_TRUE(rec.WaitUntil([](const EventRecorder::Model& m) { return m.instances.at("svc").size() == 1; }));
  EXPECT_EQ(rec.model().instances.at("svc").count("c"), 1u);
  EXPECT_TRUE(rec.violations().empty()) << rec.violations()[0];
  Service svc;
  ASSERT_TRUE(r.GetService("svc", &svc).ok());
  EXPECT_EQ(svc.instance_count(), 1u);
  EXPECT_EQ(rec.model().versions["svc"], svc.version);
}

}  // namespace
}  // namespace testing
}  // namespace kreg
