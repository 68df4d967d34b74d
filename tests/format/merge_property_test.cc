// MergeProperty: a service's property as readers see it (api/CONTRACT.md
// "Data model"): attrs into the instances' metadata, zone weights as JSON
// under the service metadata key backend-metadata-zone_weight.
#include <gtest/gtest.h>

#include "kreg/json_format.hpp"

namespace kreg {
namespace {

Service TwoInstances() {
  Service s;
  s.service_name = "web";
  Instance i1;
  i1.id = "i1";
  i1.metadata = {{"color", "blue"}, {"weight", "10"}};
  Instance i2;
  i2.id = "i2";
  s.instances["sh001"]["i1"] = std::make_shared<const Instance>(i1);
  s.instances["sh002"]["i2"] = std::make_shared<const Instance>(i2);
  s.metadata = {{"owner", "team-a"}};
  return s;
}

TEST(MergeProperty, TheZoneWeightsAsTheContractShowsThem) {
  Property p;
  p.zone_weights["sh001"].src = "sh001";
  p.zone_weights["sh001"].dst = {{"sh001", 70}, {"sh002", 30}};
  Service s = TwoInstances();
  format::MergeProperty(p, &s);
  EXPECT_EQ(s.metadata[kMetadataZoneWeight], R"({"sh001":{"dst":{"sh001":70,"sh002":30},"src":"sh001"}})");
  EXPECT_EQ(s.metadata["owner"], "team-a") << "other service metadata stays";
}

TEST(MergeProperty, TheZoneWeightJsonDecodesBackAsZoneWeights) {
  Property p;
  p.zone_weights["a"].src = "a";
  p.zone_weights["a"].dst = {{"a", 1}, {"b", 18446744073709551615u}};
  p.zone_weights["b"].src = "b";
  Service s;
  format::MergeProperty(p, &s);
  Property back;
  const format::json weights = format::json::parse(s.metadata[kMetadataZoneWeight]);
  ASSERT_TRUE(format::PropertyFromJson(format::json{{"zone_weights", weights}}, "metadata", &back).ok());
  EXPECT_EQ(back.zone_weights["a"].dst, p.zone_weights["a"].dst);
  EXPECT_EQ(back.zone_weights["b"].src, "b");
  EXPECT_TRUE(back.zone_weights["b"].dst.empty());
}

TEST(MergeProperty, NoZoneWeightsNoKey) {
  Property p;
  p.attrs["i1"]["k"] = "v";
  Service s = TwoInstances();
  format::MergeProperty(p, &s);
  EXPECT_EQ(s.metadata.count(kMetadataZoneWeight), 0u);
  EXPECT_EQ(s.metadata.size(), 1u);
}

TEST(MergeProperty, AttrsJoinTheirInstancesMetadataAndThePropertyWins) {
  Property p;
  p.attrs["i1"] = {{"weight", "0"}, {kMetadataOnline, "N"}};
  p.attrs["i2"] = {};
  p.attrs["absent"] = {{"k", "v"}};
  Service s = TwoInstances();
  format::MergeProperty(p, &s);
  const Instance& i1 = *s.instances["sh001"]["i1"];
  EXPECT_EQ(i1.metadata, StringMap({{"color", "blue"}, {"weight", "0"}, {kMetadataOnline, "N"}}));
  EXPECT_FALSE(i1.online());
  EXPECT_TRUE(s.instances["sh002"]["i2"]->metadata.empty());
  EXPECT_EQ(s.instance_count(), 2u) << "attrs of an absent instance add none";
}

TEST(MergeProperty, AnEmptyPropertyChangesNothing) {
  Service s = TwoInstances();
  format::MergeProperty(Property(), &s);
  EXPECT_EQ(s.metadata, StringMap({{"owner", "team-a"}}));
  EXPECT_EQ(s.instances["sh001"]["i1"]->metadata.size(), 2u);
}

}  // namespace
}  // namespace kreg
