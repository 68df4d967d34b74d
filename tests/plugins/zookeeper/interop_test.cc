// Interoperability with other ZooKeeper clients: the documented layout and
// JSON as a raw C client sees them, records written by such a client, and
// malformed nodes.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support/process.h"
#include "zk_test_util.h"

namespace kreg {
namespace testing {
namespace {

using nlohmann::json;

TEST(ZooKeeperInterop, RawClientSeesTheDocumentedLayoutAndJson) {
  KREG_START_ZOOKEEPER(zk, 1);
  Registry r;
  ASSERT_TRUE(OpenZk(ZkOptions(*zk), &r).ok());
  Instance in = MakeInstance("svc", "a", "z9");
  in.addrs["rpc"] = "10.0.0.1:9090";
  ASSERT_TRUE(r.Register(in).ok());
  Property p;
  p.service_name = "svc";
  p.zone_weights["z9"].src = "z9";
  p.zone_weights["z9"].dst["z8"] = 3;
  p.attrs["a"] = {{"k", "v"}};
  ASSERT_TRUE(r.SetProperty(p).ok());

  RawClient raw(zk->connect_string());
  ASSERT_TRUE(raw.connected());
  std::vector<std::string> children;
  ASSERT_EQ(raw.Children("/discovery", &children), ZOK);
  EXPECT_EQ(children, std::vector<std::string>{"svc"});
  children.clear();
  ASSERT_EQ(raw.Children("/discovery/svc", &children), ZOK);
  EXPECT_EQ(children, (std::vector<std::string>{"instance", "property"}));
  children.clear();
  ASSERT_EQ(raw.Children("/discovery/svc/instance", &children), ZOK);
  EXPECT_EQ(children, std::vector<std::string>{"a"});

  std::string data;
  Stat stat{};
  ASSERT_EQ(raw.Get("/discovery/svc/instance/a", &data, &stat), ZOK);
  EXPECT_NE(stat.ephemeralOwner, 0);
  json j = json::parse(data);
  EXPECT_EQ(j["id"], "a");
  EXPECT_EQ(j["service_name"], "svc");
  EXPECT_EQ(j["zone"], "z9");
  EXPECT_EQ(j["env"], "test");
  EXPECT_EQ(j["hostname"], "host-a");
  EXPECT_EQ(j["addrs"]["rpc"], "10.0.0.1:9090");
  EXPECT_EQ(j["metadata"]["weight"], "10");
  EXPECT_TRUE(j["reg_time"].is_number_integer());
  EXPECT_TRUE(j["update_time"].is_number_integer());

  ASSERT_EQ(raw.Get("/discovery/svc/property/backend", &data, &stat), ZOK);
  EXPECT_EQ(stat.ephemeralOwner, 0) << "the property is persistent";
  j = json::parse(data);
  EXPECT_EQ(j["service_name"], "svc");
  EXPECT_EQ(j["zone_weights"]["z9"]["src"], "z9");
  EXPECT_EQ(j["zone_weights"]["z9"]["dst"]["z8"], 3);
  EXPECT_EQ(j["attrs"]["a"]["k"], "v");

  std::vector<std::string> acl;
  ASSERT_EQ(raw.GetAcl("/discovery/svc/instance/a", &acl), ZOK);
  EXPECT_EQ(acl, std::vector<std::string>{"world:anyone:31"}) << "no credentials: open ACL";
}

TEST(ZooKeeperInterop, RecordsWrittenByAnotherClientReachTheWatch) {
  KREG_START_ZOOKEEPER(zk, 1);
  Registry r;
  ASSERT_TRUE(OpenZk(ZkOptions(*zk), &r).ok());
  EventRecorder rec;
  std::unique_ptr<Watch> w;
  ASSERT_TRUE(r.StartWatch(rec.Callback(), &w).ok());
  ASSERT_TRUE(rec.WaitSynced());

  RawClient raw(zk->connect_string());
  ASSERT_TRUE(raw.connected());
  ASSERT_EQ(raw.CreateAll("/discovery/web/property/backend",
                          R"({"service_name":"web","zone_weights":{"z1":{"src":"z1","dst":{"z2":5}}},)"
                          R"("attrs":{"i1":{"backend-metadata-online":"N"}},"written_by":"go-keeper"})"),
            ZOK);
  ASSERT_TRUE(rec.WaitUntil([](const EventRecorder::Model& m) { return m.properties.count("web") != 0; }));
  Property got = rec.model().properties["web"];
  EXPECT_EQ(got.zone_weights["z1"].dst["z2"], 5u);
  EXPECT_EQ(got.attrs["i1"][kMetadataOnline], "N");
  ASSERT_EQ(rec.count(EventType::kCreate, EventInfo::kProperty), 1u);

  // An instance another keeper registered (here persistent, as a tool would).
  ASSERT_EQ(raw.CreateAll("/discovery/web/instance/i1",
                          R"({"id":"i1","service_name":"web","zone":"z1","hostname":"h1",)"
                          R"("addrs":{"http":"1.2.3.4:80"},"metadata":{},"reg_time":1,"update_time":2})"),
            ZOK);
  ASSERT_TRUE(rec.WaitUntil([](const EventRecorder::Model& m) {
    return m.instances.count("web") != 0 && m.instances.at("web").count("i1") != 0;
  }));
  Service web;
  ASSERT_TRUE(r.GetService("web", &web).ok());
  EXPECT_FALSE(web.instances["z1"]["i1"]->online()) << "the property's attrs are merged in";

  ASSERT_EQ(raw.Delete("/discovery/web/property/backend"), ZOK);
  ASSERT_TRUE(rec.WaitUntil([](const EventRecorder::Model& m) { return m.properties.count("web") == 0; }));
  EXPECT_TRUE(rec.violations().empty()) << rec.violations()[0];
}

TEST(ZooKeeperInterop, MalformedNodesAreSkippedWithAWarning) {
  KREG_START_ZOOKEEPER(zk, 1);
  LogCapture log;
  OpenOptions o = ZkOptions(*zk);
  o.log = log.Sink();
  o.log_level = KREG_LOG_DEBUG;
  Registry r;
  ASSERT_TRUE(OpenZk(o, &r).ok());
  RawClient raw(zk->connect_string());
  ASSERT_TRUE(raw.connected());
  // Present before the watch starts...
  ASSERT_EQ(raw.CreateAll("/discovery/svc/instance/garbage", "this is not json {"), ZOK);
  ASSERT_TRUE(r.Register(MakeInstance("svc", "good")).ok());

  EventRecorder rec;
  std::unique_ptr<Watch> w;
  ASSERT_TRUE(r.StartWatch(rec.Callback(), &w).ok());
  ASSERT_TRUE(rec.WaitSynced());
  EXPECT_EQ(rec.model().instances["svc"].size(), 1u);
  EXPECT_TRUE(log.Contains("/discovery/svc/instance/garbage", KREG_LOG_WARN)) << log.All();

  // ...and written while it runs: wrong types, a mismatched id, a broken property.
  ASSERT_EQ(raw.CreateAll("/discovery/svc/instance/typed", R"({"id":"typed","reg_time":"yesterday"})"), ZOK);
  ASSERT_EQ(raw.CreateAll("/discovery/svc/instance/liar", R"({"id":"someone-else"})"), ZOK);
  ASSERT_EQ(raw.CreateAll("/discovery/svc/property/backend", "[1,2,3]"), ZOK);
  // A valid change after them still arrives: the watch went on.
  ASSERT_TRUE(r.Register(MakeInstance("svc", "later")).ok());
  ASSERT_TRUE(rec.WaitUntil([](const EventRecorder::Model& m) {
    return m.instances.count("svc") != 0 && m.instances.at("svc").count("later") != 0;
  }));
  EXPECT_TRUE(WaitFor([&] { return log.Contains("/discovery/svc/instance/typed", KREG_LOG_WARN); },
                      std::chrono::seconds(10)));
  EXPECT_TRUE(WaitFor([&] { return log.Contains("/discovery/svc/instance/liar", KREG_LOG_WARN); },
                      std::chrono::seconds(10)));
  EXPECT_TRUE(WaitFor([&] { return log.Contains("/discovery/svc/property/backend", KREG_LOG_WARN); },
                      std::chrono::seconds(10)));
  auto model = rec.model();
  EXPECT_EQ(model.instances["svc"].size(), 2u);
  EXPECT_EQ(model.properties.count("svc"), 0u);

  // Reads skip them too.
  Service svc;
  ASSERT_TRUE(r.GetService("svc", &svc).ok());
  EXPECT_EQ(svc.instance_count(), 2u);

  // A valid instance overwritten with garbage is reported gone; repaired, back.
  ASSERT_EQ(raw.Set("/discovery/svc/instance/good", "{"), ZOK);
  ASSERT_TRUE(rec.WaitUntil([](const EventRecorder::Model& m) { return m.instances.at("svc").count("good") == 0; }));
  ASSERT_EQ(raw.Set("/discovery/svc/instance/typed", R"({"id":"typed","zone":"z1"})"), ZOK);
  ASSERT_TRUE(rec.WaitUntil([](const EventRecorder::Model& m) { return m.instances.at("svc").count("typed") != 0; }));
  EXPECT_TRUE(rec.violations().empty()) << rec.violations()[0];
}

}  // namespace
}  // namespace testing
}  // namespace kreg
