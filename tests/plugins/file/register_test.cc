// Register, keepalive, refresh, deregister, get, list and set_property,
// and the file they leave behind.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "file_test_util.h"
#include "kreg/data_model.hpp"
#include "kreg/validate.hpp"

namespace kreg {
namespace file_test {
namespace {

using std::chrono::milliseconds;

class FileRegisterTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(OpenFileRegistry(path_, &registry_).ok()); }

  Service Get(const std::string& name) {
    Service s;
    Status st = registry_.GetService(name, &s);
    EXPECT_TRUE(st.ok()) << st.ToString();
    return s;
  }

  TempDir dir_;
  std::string path_ = dir_.Join("registry.json");
  Registry registry_;
};

TEST_F(FileRegisterTest, CreateStoresTheInstance) {
  Instance in = MakeInstance("svc", "a", "east");
  in.reg_time = in.update_time = 0;
  ASSERT_TRUE(registry_.Register(in).ok());
  Service s = Get("svc");
  ASSERT_EQ(s.instance_count(), 1u);
  const Instance& a = *s.instances.at("east").at("a");
  EXPECT_EQ(a.hostname, "host-a");
  EXPECT_EQ(a.addrs.at("http"), "10.0.0.1:8080");
  EXPECT_EQ(a.metadata.at("color"), "blue");
  EXPECT_NEAR(a.reg_time, UnixSeconds(), 2);  // filled in: the caller left 0
  EXPECT_NEAR(a.update_time, UnixSeconds(), 2);
  EXPECT_EQ(a.data_version, 1);
  EXPECT_GT(a.version, 0);
  EXPECT_EQ(s.version, a.version);
  EXPECT_EQ(s.update_time, a.update_time);
}

TEST_F(FileRegisterTest, FileHasTheDocumentedFormat) {
  Instance in = MakeInstance("svc", "a");
  in.reg_time = 100;
  in.update_time = 200;
  ASSERT_TRUE(registry_.Register(in, {milliseconds(60000), false}).ok());
  nlohmann::json doc = ReadJson(path_);
  EXPECT_EQ(doc["format"], "kreg-file");
  EXPECT_EQ(doc["format_version"], 1);
  // One write, one revision: the file's, the service's and the entry's.
  EXPECT_GT(doc["revision"].get<int64_t>(), 0);
  const nlohmann::json& entry = doc["services"]["svc"]["instances"]["a"];
  EXPECT_EQ(doc["services"]["svc"]["version"], doc["revision"]);
  EXPECT_EQ(entry["version"], doc["revision"]);
  EXPECT_EQ(entry["data_version"], 1);
  EXPECT_EQ(entry["data"]["hostname"], "host-a");
  EXPECT_EQ(entry["data"]["reg_time"], 100);
  EXPECT_EQ(entry["data"]["update_time"], 200);
  int64_t now_ms = UnixSeconds() * 1000;
  EXPECT_NEAR(entry["expires_at_ms"].get<int64_t>(), now_ms + 60000, 2000);
}

TEST_F(FileRegisterTest, KeepaliveNeitherBumpsTheVersionNorWrites) {
  ASSERT_TRUE(registry_.Register(MakeInstance("svc", "a")).ok());
  Service before = Get("svc");
  std::string bytes = ReadBytes(path_);
  Instance changed = MakeInstance("svc", "a");
  changed.metadata["color"] = "red";  // ignored: not a refresh
  ASSERT_TRUE(registry_.Register(changed).ok());
  Service after = Get("svc");
  EXPECT_EQ(after.version, before.version);
  EXPECT_EQ(after.instances.at("z1").at("a")->data_version, 1);
  EXPECT_EQ(after.instances.at("z1").at("a")->metadata.at("color"), "blue");
  EXPECT_EQ(ReadBytes(path_), bytes);  // within the first half of the TTL: memory only
}

TEST_F(FileRegisterTest, KeepaliveRenewsTheLeaseInTheFile) {
  const RegisterOptions opts{milliseconds(1000), false};
  ASSERT_TRUE(registry_.Register(MakeInstance("svc", "a"), opts).ok());
  int64_t first = ReadJson(path_)["services"]["svc"]["instances"]["a"]["expires_at_ms"];
  int64_t version = Get("svc").version;
  std::this_thread::sleep_for(milliseconds(700));  // under half the TTL left
  ASSERT_TRUE(registry_.Register(MakeInstance("svc", "a"), opts).ok());
  nlohmann::json doc = ReadJson(path_);
  EXPECT_GE(doc["services"]["svc"]["instances"]["a"]["expires_at_ms"].get<int64_t>(), first + 650);
  EXPECT_EQ(doc["revision"], version);  // a lease renewal is not a change
  std::this_thread::sleep_for(milliseconds(500));  // past the first lease's end
  Service s = Get("svc");
  EXPECT_EQ(s.instance_count(), 1u);
  EXPECT_EQ(s.version, version);
}

TEST_F(FileRegisterTest, RefreshRewritesTheData) {
  Instance in = MakeInstance("svc", "a");
  in.reg_time = 1000;
  ASSERT_TRUE(registry_.Register(in).ok());
  int64_t v1 = Get("svc").version;
  Instance changed = MakeInstance("svc", "a");
  changed.metadata["color"] = "red";
  changed.reg_time = 0;
  ASSERT_TRUE(registry_.Register(changed, {milliseconds(30000), true}).ok());
  Service s = Get("svc");
  const Instance& a = *s.instances.at("z1").at("a");
  EXPECT_EQ(a.metadata.at("color"), "red");
  EXPECT_EQ(a.data_version, 2);
  EXPECT_GT(a.version, v1);
  EXPECT_EQ(s.version, a.version);
  EXPECT_EQ(a.reg_time, 1000);  // kept: the refresh left it 0
}

TEST_F(FileRegisterTest, DeregisterKeepsTheServiceRecord) {
  ASSERT_TRUE(registry_.Register(MakeInstance("svc", "a")).ok());
  ASSERT_TRUE(registry_.Register(MakeInstance("svc", "b")).ok());
  int64_t v = Get("svc").version;
  ASSERT_TRUE(registry_.Deregister("svc", "a").ok());
  ASSERT_TRUE(registry_.Deregister("svc", "b").ok());
  Service s = Get("svc");
  EXPECT_EQ(s.instance_count(), 0u);
  EXPECT_GT(s.version, v);  // each delete is a change
  EXPECT_TRUE(registry_.Deregister("svc", "a").ok());  // absent: fine
  EXPECT_TRUE(registry_.Deregister("other", "x").ok());
  EXPECT_EQ(Get("svc").version, s.version);
  std::vector<Service> all;
  ASSERT_TRUE(registry_.ListServices(&all).ok());
  ASSERT_EQ(all.size(), 1u);  // the empty service is still listed
  EXPECT_EQ(all[0].service_name, "svc");
}

TEST_F(FileRegisterTest, RegisterAfterDeregisterCreatesAgain) {
  ASSERT_TRUE(registry_.Register(MakeInstance("svc", "a")).ok());
  ASSERT_TRUE(registry_.Deregister("svc", "a").ok());
  int64_t deleted = Get("svc").version;
  ASSERT_TRUE(registry_.Register(MakeInstance("svc", "a")).ok());
  Service s = Get("svc");
  ASSERT_EQ(s.instance_count(), 1u);
  EXPECT_EQ(s.instances.at("z1").at("a")->data_version, 1);
  EXPECT_GT(s.version, deleted);
}

TEST_F(FileRegisterTest, UnknownServiceIsNotFound) {
  Service s;
  EXPECT_EQ(registry_.GetService("nope", &s).code(), KREG_NOT_FOUND);
  ASSERT_TRUE(registry_.Register(MakeInstance("svc", "a")).ok());
  EXPECT_EQ(registry_.GetService("nope", &s).code(), KREG_NOT_FOUND);
}

TEST_F(FileRegisterTest, ListReturnsEveryService) {
  std::vector<Service> all;
  ASSERT_TRUE(registry_.ListServices(&all).ok());
  EXPECT_TRUE(all.empty());
  ASSERT_TRUE(registry_.Register(MakeInstance("a", "1")).ok());
  ASSERT_TRUE(registry_.Register(MakeInstance("b", "1")).ok());
  ASSERT_TRUE(registry_.Register(MakeInstance("b", "2", "z2")).ok());
  ASSERT_TRUE(registry_.ListServices(&all).ok());
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].service_name, "a");
  EXPECT_EQ(all[1].instance_count(), 2u);
  EXPECT_EQ(all[1].instances.at("z2").count("2"), 1u);
}

TEST_F(FileRegisterTest, PropertyIsMergedOnGet) {
  ASSERT_TRUE(registry_.Register(MakeInstance("svc", "a")).ok());
  ASSERT_TRUE(registry_.Register(MakeInstance("svc", "b")).ok());
  Property p;
  p.service_name = "svc";
  p.attrs["a"]["color"] = "green";
  p.attrs["a"]["weight"] = "7";
  p.zone_weights["z1"].src = "z1";
  p.zone_weights["z1"].dst["z2"] = 30;
  int64_t registered = Get("svc").version;
  ASSERT_TRUE(registry_.SetProperty(p).ok());
  Service s = Get("svc");
  EXPECT_EQ(s.instances.at("z1").at("a")->metadata.at("color"), "green");  // the property wins
  EXPECT_EQ(s.instances.at("z1").at("a")->metadata.at("weight"), "7");
  EXPECT_EQ(s.instances.at("z1").at("b")->metadata.at("color"), "blue");
  nlohmann::json weights = nlohmann::json::parse(s.metadata.at(kMetadataZoneWeight));
  EXPECT_EQ(weights["z1"]["dst"]["z2"], 30);
  EXPECT_GT(s.version, registered);  // setting the property is a change
  int64_t first = s.version;
  p.attrs.clear();
  ASSERT_TRUE(registry_.SetProperty(p).ok());  // replaces the previous one
  s = Get("svc");
  EXPECT_EQ(s.instances.at("z1").at("a")->metadata.at("color"), "blue");
  EXPECT_GT(s.version, first);
  EXPECT_EQ(ReadJson(path_)["services"]["svc"]["property"]["data_version"], 2);
}

TEST_F(FileRegisterTest, PropertyNeedsNoInstances) {
  Property p;
  p.service_name = "lonely";
  p.attrs["x"]["k"] = "v";
  ASSERT_TRUE(registry_.SetProperty(p).ok());
  Service s = Get("lonely");
  EXPECT_EQ(s.instance_count(), 0u);
  EXPECT_EQ(s.version, ReadJson(path_)["revision"]);
}

TEST_F(FileRegisterTest, OversizedInstanceIsRefusedBeforeTheFile) {
  Instance big = MakeInstance("svc", "big");
  big.metadata["blob"] = std::string(kMaxStoredBytes, 'x');
  Status s = registry_.Register(big);
  EXPECT_EQ(s.code(), KREG_INVALID_ARGUMENT);
  EXPECT_NE(s.message().find("big"), std::string::npos) << s.message();
  EXPECT_FALSE(std::filesystem::exists(path_));
  Instance fits = MakeInstance("svc", "fits");
  fits.metadata["blob"] = std::string(kMaxStoredBytes - 1000, 'x');
  EXPECT_TRUE(registry_.Register(fits).ok());
}

TEST_F(FileRegisterTest, InvalidUtf8IsRefusedBeforeTheFile) {
  Instance bad = MakeInstance("svc", "bad");
  bad.metadata["note"] = "\xff\xfe";
  Status s = registry_.Register(bad);
  EXPECT_EQ(s.code(), KREG_INVALID_ARGUMENT);
  EXPECT_NE(s.message().find("UTF-8"), std::string::npos) << s.message();
  Property p;
  p.service_name = "svc";
  p.attrs["bad"]["k"] = "\xc3";
  EXPECT_EQ(registry_.SetProperty(p).code(), KREG_INVALID_ARGUMENT);
  EXPECT_FALSE(std::filesystem::exists(path_));
}

TEST_F(FileRegisterTest, ExpiredInstanceIsRemovedByTheFirstRead) {
  // The lease outlasts the next register and read even under a sanitizer on
  // a slow machine.
  const milliseconds short_ttl(2000);
  ASSERT_TRUE(registry_.Register(MakeInstance("svc", "short"), {short_ttl, false}).ok());
  const auto registered = std::chrono::steady_clock::now();
  ASSERT_TRUE(registry_.Register(MakeInstance("svc", "long")).ok());
  int64_t before = Get("svc").version;
  std::this_thread::sleep_until(registered + short_ttl + milliseconds(100));
  // The read sees the content change, so it is given a new version: that
  // of the write that removes the lapsed entry.
  Service s = Get("svc");
  EXPECT_EQ(s.instance_count(), 1u);
  EXPECT_EQ(s.instances.at("z1").count("short"), 0u);
  EXPECT_GT(s.version, before);
  nlohmann::json doc = ReadJson(path_);
  EXPECT_FALSE(doc["services"]["svc"]["instances"].contains("short"));
  EXPECT_EQ(doc["services"]["svc"]["version"], s.version);
  EXPECT_EQ(doc["revision"], s.version);
}

TEST_F(FileRegisterTest, ReRegisterAfterExpiryCreatesAgain) {
  ASSERT_TRUE(registry_.Register(MakeInstance("svc", "a"), {milliseconds(200), false}).ok());
  int64_t first = Get("svc").version;
  std::this_thread::sleep_for(milliseconds(300));
  ASSERT_TRUE(registry_.Register(MakeInstance("svc", "a"), {milliseconds(200), false}).ok());
  Service s = Get("svc");
  ASSERT_EQ(s.instance_count(), 1u);
  EXPECT_EQ(s.instances.at("z1").at("a")->data_version, 1);  // created again, not rewritten
  EXPECT_GT(s.version, first);
}

}  // namespace
}  // namespace file_test
}  // namespace kreg
