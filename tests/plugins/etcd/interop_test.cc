// Interoperability with other etcd clients (etcdctl, the Go keeper): the
// documented layout and JSON as etcdctl sees them, records written by
// etcdctl, and malformed keys.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "etcd_test_util.h"
#include "support/process.h"

namespace kreg {
namespace testing {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr const char* kGoKeeperInstance =
    R"({"id":"go1","service_name":"gosvc","zone":"sh001","env":"prod","hostname":"go-host",)"
    R"("addrs":{"http":"10.1.0.1:80"},"metadata":{"weight":"7"},"reg_time":1700000000,"update_time":1700000001})";

TEST(EtcdInterop, EtcdctlSeesTheDocumentedLayoutAndJson) {
  KREG_START_ETCD(etcd, 1);
  Registry r;
  ASSERT_TRUE(OpenEtcd(EtcdOptions(*etcd), &r).ok());
  Instance in = MakeInstance("svc", "a", "z9");
  ASSERT_TRUE(r.Register(in).ok());
  Property p;
  p.service_name = "svc";
  p.zone_weights["z9"].src = "z9";
  p.zone_weights["z9"].dst["z8"] = 3;
  ASSERT_TRUE(r.SetProperty(p).ok());

  EXPECT_EQ(EtcdctlKeys(*etcd, "/discovery/"),
            (std::vector<std::string>{"/discovery/svc/instance/a/", "/discovery/svc/property/backend/"}))
      << "keys as the Go keeper writes them, with the trailing slash";
  json j = json::parse(EtcdctlGet(*etcd, "/discovery/svc/instance/a/"));
  EXPECT_EQ(j["id"], "a");
  EXPECT_EQ(j["service_name"], "svc");
  EXPECT_EQ(j["zone"], "z9");
  EXPECT_EQ(j["hostname"], "host-a");
  EXPECT_EQ(j["addrs"]["http"], "10.0.0.1:8080");
  EXPECT_EQ(j["metadata"]["color"], "blue");
  EXPECT_EQ(j["reg_time"], 1700000000);
  EXPECT_GT(EtcdctlLease(*etcd, "/discovery/svc/instance/a/"), 0) << "an instance is put with the backend's lease";
  j = json::parse(EtcdctlGet(*etcd, "/discovery/svc/property/backend/"));
  EXPECT_EQ(j["service_name"], "svc");
  EXPECT_EQ(j["zone_weights"]["z9"]["dst"]["z8"], 3);
  EXPECT_EQ(EtcdctlLease(*etcd, "/discovery/svc/property/backend/"), 0) << "the property has no lease";
}

TEST(EtcdInterop, GoKeeperShapedKeysWrittenByEtcdctlAreReadAndWatched) {
  KREG_START_ETCD(etcd, 1);
  Registry r;
  ASSERT_TRUE(OpenEtcd(EtcdOptions(*etcd), &r).ok());
  EventRecorder rec;
  std::unique_ptr<Watch> w;
  ASSERT_TRUE(r.StartWatch(rec.Callback(), &w).ok());
  ASSERT_TRUE(rec.WaitSynced());

  EtcdctlPut(*etcd, "/discovery/gosvc/instance/go1/", kGoKeeperInstance);
  ASSERT_TRUE(rec.WaitUntil([](const EventRecorder::Model& m) {
    return m.instances.count("gosvc") && m.instances.at("gosvc").count("go1");
  })) << "a key etcdctl put reaches the watch as a create";
  EXPECT_EQ(rec.count(EventType::kCreate, EventInfo::kInstance), 1u);
  // Read without the trailing slash too.
  std::string bare = kGoKeeperInstance;
  bare.replace(bare.find("go1"), 3, "go2");
  EtcdctlPut(*etcd, "/discovery/gosvc/instance/go2", bare);
  EtcdctlPut(*etcd, "/discovery/gosvc/property/backend/", R"({"service_name":"gosvc","attrs":{"go1":{"k":"v"}}})");
  ASSERT_TRUE(rec.WaitUntil([](const EventRecorder::Model& m) {
    return m.instances.at("gosvc").count("go2") && m.properties.count("gosvc");
  }));
  Service s;
  ASSERT_TRUE(WaitFor([&] { return r.GetService("gosvc", &s).ok() && s.instance_count() == 2 &&
                                   s.instances["sh001"]["go1"]->metadata.at("k") == "v"; },
                      seconds(5)));
  EXPECT_EQ(s.instances["sh001"]["go1"]->hostname, "go-host");
  EXPECT_EQ(s.instances["sh001"]["go1"]->metadata.at("weight"), "7");
  EXPECT_EQ(s.instances["sh001"]["go1"]->data_version, 1) << "etcd's version of a new key";

  EtcdctlDel(*etcd, "/discovery/gosvc/instance/go2");
  ASSERT_TRUE(rec.WaitUntil([](const EventRecorder::Model& m) { return !m.instances.at("gosvc").count("go2"); }));
  EXPECT_TRUE(rec.violations().empty()) << rec.violations().front();
}

TEST(EtcdInterop, MalformedKeysAreSkippedWithOneWarningEach) {
  KREG_START_ETCD(etcd, 1);
  EtcdctlPut(*etcd, "/discovery/bad/instance/x/", "not json");
  EtcdctlPut(*etcd, "/discovery/bad/instance/wrong-id/", kGoKeeperInstance);
  EtcdctlPut(*etcd, "/discovery/bad name/instance/x/", kGoKeeperInstance);
  EtcdctlPut(*etcd, "/discovery/gosvc/instance/go1/", kGoKeeperInstance);
  LogCapture log;
  OpenOptions o = EtcdOptions(*etcd);
  o.log = log.Sink();
  Registry r;
  ASSERT_TRUE(OpenEtcd(o, &r).ok());
  EventRecorder rec;
  std::unique_ptr<Watch> w;
  ASSERT_TRUE(r.StartWatch(rec.Callback(), &w).ok());
  ASSERT_TRUE(rec.WaitSynced());
  EtcdctlPut(*etcd, "/discovery/bad/instance/y/", "{\"id\": 3}");
  ASSERT_TRUE(r.Register(MakeInstance("after", "a")).ok());
  ASSERT_TRUE(rec.WaitUntil([](const EventRecorder::Model& m) { return m.instances.count("after") == 1; }))
      << "the watch goes on past malformed keys";
  EXPECT_EQ(rec.model().instances.count("bad"), 0u);
  EXPECT_EQ(rec.model().instances.at("gosvc").size(), 1u);
  Service s;
  EXPECT_EQ(r.GetService("bad", &s).code(), KREG_NOT_FOUND) << "a service of malformed records only does not exist";
  ASSERT_TRUE(r.GetService("gosvc", &s).ok());
  EXPECT_EQ(s.instance_count(), 1u);
  std::vector<Service> all;
  ASSERT_TRUE(r.ListServices(&all).ok());
  EXPECT_EQ(all.size(), 2u);

  for (const char* key : {"/discovery/bad/instance/x/", "/discovery/bad/instance/wrong-id/",
                          "/discovery/bad name/instance/x/", "/discovery/bad/instance/y/"}) {
    size_t warnings = 0;
    for (const std::string& line : log.Lines(KREG_LOG_WARN)) {
      if (line.find(std::string("\"") + key + "\"") != std::string::npos) ++warnings;
    }
    EXPECT_EQ(warnings, 1u) << key << " is warned about once; log:\n" << log.All();
  }
}

TEST(EtcdInterop, KregctlWatchSeesAnEtcdctlPutAsACreate) {
  KREG_START_ETCD(etcd, 1);
  TempDir dir;
  std::string config = dir.WriteFile("etcd.yaml", EtcdConfigYaml(*etcd));
  Process watch({std::string(KREG_TEST_BIN_DIR) + "/kregctl", "--config", config, "watch", "--count", "1"},
                dir.path());
  ASSERT_TRUE(WaitFor([&] { return watch.Stdout().find("synced") != std::string::npos; }, seconds(30)))
      << watch.Stderr();
  EtcdctlPut(*etcd, "/discovery/gosvc/instance/go1/", kGoKeeperInstance);
  ASSERT_EQ(watch.Wait(seconds(30)), 0) << watch.Stderr();
  EXPECT_NE(watch.Stdout().find("create instance gosvc/go1 zone=sh001"), std::string::npos) << watch.Stdout();
}

}  // namespace
}  // namespace testing
}  // namespace kreg
