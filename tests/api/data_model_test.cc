// The data-model rules every backend applies (kreg/data_model.hpp): which
// times a backend fills in, and how live instances make up a service.
#include <gtest/gtest.h>

#include <chrono>

#include "kreg/data_model.hpp"

namespace kreg {
namespace {

constexpr int64_t kNow = 1700000500;

int64_t SystemClockSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The moment a second turns is when a coarse clock (std::time) still
// reads the second before: a refresh stamped then looks older than the
// caller's own clock.
TEST(UnixSeconds, ReadsTheNewSecondTheMomentItTurns) {
  const int64_t start = SystemClockSeconds();
  int64_t turned = start;
  while (turned == start) turned = SystemClockSeconds();
  EXPECT_EQ(UnixSeconds(), turned);
}

Instance WithTimes(int64_t reg_time, int64_t update_time) {
  Instance in;
  in.service_name = "web";
  in.id = "i1";
  in.reg_time = reg_time;
  in.update_time = update_time;
  return in;
}

TEST(FillTimes, AFirstRegisterWithNoTimesTakesNowForBoth) {
  Instance in = WithTimes(0, 0);
  FillTimes(kNow, /*previous_reg_time=*/0, &in);
  EXPECT_EQ(in.update_time, kNow);
  EXPECT_EQ(in.reg_time, kNow);
}

TEST(FillTimes, ARefreshKeepsTheStoredRegTime) {
  Instance in = WithTimes(0, 0);
  FillTimes(kNow, /*previous_reg_time=*/1700000000, &in);
  EXPECT_EQ(in.update_time, kNow);
  EXPECT_EQ(in.reg_time, 1700000000);
}

TEST(FillTimes, AGivenUpdateTimeIsStoredAndIsTheFirstRegTime) {
  Instance in = WithTimes(0, 1600000000);
  FillTimes(kNow, 0, &in);
  EXPECT_EQ(in.update_time, 1600000000);
  EXPECT_EQ(in.reg_time, 1600000000) << "reg_time falls back to update_time, not to now";
}

TEST(FillTimes, TimesTheCallerSetsAreStoredAsGiven) {
  Instance in = WithTimes(5, 6);
  FillTimes(kNow, 1700000000, &in);
  EXPECT_EQ(in.reg_time, 5) << "a caller's reg_time wins over the stored one";
  EXPECT_EQ(in.update_time, 6);

  Instance reg_only = WithTimes(5, 0);
  FillTimes(kNow, 1700000000, &reg_only);
  EXPECT_EQ(reg_only.reg_time, 5);
  EXPECT_EQ(reg_only.update_time, kNow);
}

TEST(FillTimes, TouchesNothingElse) {
  Instance in = WithTimes(0, 0);
  in.zone = "z1";
  in.metadata["k"] = "v";
  in.version = 9;
  in.data_version = 3;
  FillTimes(kNow, 0, &in);
  EXPECT_EQ(in.zone, "z1");
  EXPECT_EQ(in.metadata, StringMap({{"k", "v"}}));
  EXPECT_EQ(in.version, 9);
  EXPECT_EQ(in.data_version, 3);
}

Instance InZone(const std::string& id, const std::string& zone, int64_t update_time) {
  Instance in = WithTimes(1, update_time);
  in.id = id;
  in.zone = zone;
  return in;
}

TEST(AddInstance, GroupsByZoneAndKeepsTheNewestUpdateTime) {
  Service s;
  s.service_name = "web";
  AddInstance(InZone("a", "z1", 30), &s);
  AddInstance(InZone("b", "z2", 10), &s);
  AddInstance(InZone("c", "z1", 20), &s);
  ASSERT_EQ(s.instances.size(), 2u);
  EXPECT_EQ(s.instances["z1"].size(), 2u);
  EXPECT_EQ(s.instances["z1"]["a"]->update_time, 30);
  EXPECT_EQ(s.instances["z1"]["c"]->update_time, 20);
  EXPECT_EQ(s.instances["z2"]["b"]->zone, "z2");
  EXPECT_EQ(s.instance_count(), 3u);
  EXPECT_EQ(s.update_time, 30) << "the newest instance's, whatever the order added";
}

TEST(AddInstance, AnInstanceWithoutAZoneGoesUnderTheEmptyZone) {
  Service s;
  AddInstance(InZone("a", "", 5), &s);
  ASSERT_EQ(s.instances.count(""), 1u);
  EXPECT_EQ(s.instances[""]["a"]->id, "a");
  EXPECT_EQ(s.update_time, 5);
}

TEST(AddInstance, AnOlderInstanceDoesNotLowerTheServiceTime) {
  Service s;
  s.update_time = 100;
  AddInstance(InZone("a", "z1", 50), &s);
  EXPECT_EQ(s.update_time, 100);
}

std::vector<std::string> Keys(const std::vector<InstancePtr>& instances) {
  std::vector<std::string> out;
  for (const InstancePtr& in : instances) out.push_back(in->zone + "/" + in->id);
  return out;
}

TEST(DiffInstances, FindsWhatIsNewReplacedAndGoneInZoneAndIdOrder) {
  Service base;
  for (auto [id, zone] : {std::pair{"a", "z1"}, {"b", "z1"}, {"c", "z2"}, {"f", "z4"}}) {
    AddInstance(InZone(id, zone, 1), &base);
  }
  Service now;
  AddInstance(base.instances.at("z1").at("a"), &now);           // the same object: unchanged
  AddInstance(InZone("b", "z1", 2), &now);                      // replaced
  AddInstance(InZone("e", "z1", 2), &now);                      // new in a kept zone
  AddInstance(InZone("d", "z3", 2), &now);                      // new zone; all of z2 gone
  AddInstance(InZone("f", "z4", 1), &now);                      // equal, but another object
  std::vector<InstancePtr> changed, removed;
  DiffInstances(base, now, &changed, &removed);
  EXPECT_EQ(Keys(changed), (std::vector<std::string>{"z1/b", "z1/e", "z3/d", "z4/f"}));
  EXPECT_EQ(Keys(removed), (std::vector<std::string>{"z2/c"}));
  EXPECT_EQ(changed[0], now.instances.at("z1").at("b"));
  EXPECT_EQ(removed[0], base.instances.at("z2").at("c"));
}

TEST(DiffInstances, SharedOrEmptyServicesDiffToNothing) {
  Service base;
  AddInstance(InZone("a", "z1", 1), &base);
  std::vector<InstancePtr> changed, removed;
  DiffInstances(base, base, &changed, &removed);
  DiffInstances(Service(), Service(), &changed, &removed);
  EXPECT_TRUE(changed.empty());
  EXPECT_TRUE(removed.empty());
  DiffInstances(Service(), base, &changed, &removed);
  EXPECT_EQ(Keys(changed), std::vector<std::string>{"z1/a"});
  DiffInstances(base, Service(), &changed, &removed);
  EXPECT_EQ(Keys(removed), std::vector<std::string>{"z1/a"});
}

TEST(Instance, OnlineUnlessMarkedN) {
  Instance in;
  EXPECT_TRUE(in.online());
  in.metadata[kMetadataOnline] = "Y";
  EXPECT_TRUE(in.online());
  in.metadata[kMetadataOnline] = "n";
  EXPECT_TRUE(in.online()) << "only \"N\" is offline";
  in.metadata[kMetadataOnline] = "N";
  EXPECT_FALSE(in.online());
  EXPECT_STREQ(kMetadataOnline, "backend-metadata-online");
  EXPECT_STREQ(kMetadataZoneWeight, "backend-metadata-zone_weight");
}

}  // namespace
}  // namespace kreg
