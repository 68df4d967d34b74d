// The stored JSON codec (kreg/json_format.hpp): instances and properties
// round-trip; on read, unknown fields are ignored and null fields are
// absent ones; a field of the wrong type makes the record CORRUPT, the
// error naming the field and where the record is.
#include <gtest/gtest.h>

#include <string>

#include "kreg/json_format.hpp"
#include "support/sample.h"

namespace kreg {
namespace {

using format::json;

constexpr const char* kWhere = "/discovery/web/instance/i1";

// The suites' sample instance, with a value that needs escapes.
Instance SampleInstance() {
  Instance in = testing::MakeInstance("web", "i1", "sh001");
  in.metadata["note"] = "quotes \" and \\ and \xe2\x82\xac and \n";
  return in;
}

Property SampleProperty() {
  Property p;
  p.service_name = "web";
  p.zone_weights["sh001"].src = "sh001";
  p.zone_weights["sh001"].dst = {{"sh001", 70}, {"sh002", 30}};
  p.zone_weights["sh002"].src = "sh002";
  p.attrs["i1"] = {{kMetadataOnline, "N"}};
  p.attrs["i2"] = {};
  return p;
}

// The stored fields of both are the same. The encoder is pinned by
// TheStoredFieldNames below, so its JSON shows what the decoder kept.
void ExpectSameStored(const Instance& want, const Instance& got) {
  EXPECT_EQ(format::InstanceToJson(got), format::InstanceToJson(want));
}

void ExpectSameStored(const Property& want, const Property& got) {
  EXPECT_EQ(format::PropertyToJson(got), format::PropertyToJson(want));
}

TEST(Codec, AnInstanceRoundTrips) {
  const Instance in = SampleInstance();
  Instance back;
  Status s = format::DecodeInstance(format::EncodeInstance(in), kWhere, &back);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ExpectSameStored(in, back);
}

TEST(Codec, AnEmptyInstanceRoundTrips) {
  Instance back;
  back.zone = "overwritten";
  ASSERT_TRUE(format::DecodeInstance(format::EncodeInstance(Instance()), kWhere, &back).ok());
  ExpectSameStored(Instance(), back);
}

TEST(Codec, VersionsAreNotStored) {
  Instance in = SampleInstance();
  in.version = 5;
  in.data_version = 6;
  const json j = format::InstanceToJson(in);
  EXPECT_FALSE(j.contains("version"));
  EXPECT_FALSE(j.contains("data_version"));
  Instance back;
  ASSERT_TRUE(format::InstanceFromJson(j, kWhere, &back).ok());
  EXPECT_EQ(back.version, 0);
  EXPECT_EQ(back.data_version, 0);
}

TEST(Codec, APropertyRoundTrips) {
  const Property p = SampleProperty();
  Property back;
  Status s = format::DecodeProperty(format::EncodeProperty(p), "/discovery/web/property/backend", &back);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ExpectSameStored(p, back);
  EXPECT_TRUE(back.zone_weights["sh002"].dst.empty());
  EXPECT_EQ(back.attrs.count("i2"), 1u) << "an instance with empty attrs is kept";
}

TEST(Codec, TheStoredFieldNames) {
  // Pinned: the Go keeper reads these names (field order is free in JSON).
  EXPECT_EQ(format::EncodeInstance(SampleInstance()),
            R"({"addrs":{"http":"10.0.0.1:8080","rpc":"10.0.0.1:9000"},"env":"test","hostname":"host-i1","id":"i1",)"
            R"("metadata":{"color":"blue","note":"quotes \" and \\ and )"
            "\xe2\x82\xac"
            R"( and \n","weight":"10"},"reg_time":1700000000,"service_name":"web","update_time":1700000000,)"
            R"("zone":"sh001"})");
  EXPECT_EQ(format::EncodeProperty(SampleProperty()),
            R"({"attrs":{"i1":{"backend-metadata-online":"N"},"i2":{}},"service_name":"web",)"
            R"("zone_weights":{"sh001":{"dst":{"sh001":70,"sh002":30},"src":"sh001"},"sh002":{"dst":{},"src":"sh002"}}})");
}

TEST(Codec, UnknownFieldsAreIgnored) {
  Instance in;
  Status s = format::DecodeInstance(
      R"({"id":"i1","service_name":"web","weight":10,"tags":["a"],"extra":{"nested":{"x":null}},"zone":"z1"})", kWhere,
      &in);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(in.id, "i1");
  EXPECT_EQ(in.zone, "z1");

  Property p;
  s = format::DecodeProperty(
      R"({"service_name":"web","written_by":"go-keeper","zone_weights":{"z1":{"src":"z1","dst":{"z2":5},"note":"x"}},)"
      R"("attrs":{},"revision":[1,2]})",
      "p", &p);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(p.zone_weights["z1"].dst["z2"], 5u);
}

TEST(Codec, NullAndMissingFieldsAreEmpty) {
  Instance in;
  Status s = format::DecodeInstance(
      R"({"id":null,"service_name":null,"zone":null,"env":null,"hostname":null,"addrs":null,"metadata":null,)"
      R"("reg_time":null,"update_time":null})",
      kWhere, &in);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ExpectSameStored(Instance(), in);
  ASSERT_TRUE(format::DecodeInstance("{}", kWhere, &in).ok());
  ExpectSameStored(Instance(), in);

  Property p;
  s = format::DecodeProperty(R"({"service_name":null,"zone_weights":null,"attrs":null})", "p", &p);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ExpectSameStored(Property(), p);
  s = format::DecodeProperty(R"({"zone_weights":{"z1":{"src":null,"dst":null}},"attrs":{"i1":null}})", "p", &p);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(p.zone_weights["z1"].src, "");
  EXPECT_TRUE(p.zone_weights["z1"].dst.empty());
  EXPECT_TRUE(p.attrs["i1"].empty());
}

TEST(Codec, EachInstanceFieldOfTheWrongTypeIsCorruptNamingIt) {
  const struct {
    const char* field;
    const char* value;
  } cases[] = {
      {"id", "1"},           {"service_name", "true"},   {"zone", "[]"},          {"env", "{}"},
      {"hostname", "1.5"},   {"addrs", "\"http\""},      {"addrs", "[]"},         {"addrs", R"({"http":80})"},
      {"metadata", "1"},     {"metadata", R"({"k":null})"}, {"metadata", R"({"k":{}})"}, {"reg_time", "\"1\""},
      {"reg_time", "1.5"},   {"reg_time", "1e3"},        {"update_time", "false"}, {"update_time", "[1]"},
      // Past int64: it would wrap to a negative time.
      {"reg_time", "9223372036854775808"}, {"update_time", "18446744073709551615"},
  };
  for (const auto& c : cases) {
    const std::string text = std::string(R"({"id":"i1",)") + "\"" + c.field + "\":" + c.value + "}";
    Instance in;
    in.hostname = "untouched";
    Status s = format::DecodeInstance(text, kWhere, &in);
    EXPECT_EQ(s.code(), KREG_CORRUPT) << text;
    EXPECT_EQ(s.message(), std::string("instance at /discovery/web/instance/i1: field \"") + c.field +
                               "\" has the wrong type")
        << text;
    EXPECT_EQ(in.hostname, "untouched") << "nothing decoded on error: " << text;
  }
}

TEST(Codec, EachPropertyFieldOfTheWrongTypeIsCorruptNamingIt) {
  const struct {
    const char* text;
    const char* field;
  } cases[] = {
      {R"({"service_name":5})", "service_name"},
      {R"({"zone_weights":[]})", "zone_weights"},
      {R"({"zone_weights":"z1"})", "zone_weights"},
      {R"({"zone_weights":{"z1":5}})", "zone_weights"},
      {R"({"zone_weights":{"z1":{"src":1}}})", "zone_weights"},
      {R"({"zone_weights":{"z1":{"src":"z1","dst":[]}}})", "zone_weights.dst"},
      {R"({"zone_weights":{"z1":{"src":"z1","dst":{"z2":-1}}}})", "zone_weights.dst"},
      {R"({"zone_weights":{"z1":{"src":"z1","dst":{"z2":1.5}}}})", "zone_weights.dst"},
      {R"({"zone_weights":{"z1":{"src":"z1","dst":{"z2":"5"}}}})", "zone_weights.dst"},
      {R"({"zone_weights":{"z1":{"src":"z1","dst":{"z2":null}}}})", "zone_weights.dst"},
      {R"({"attrs":[]})", "attrs"},
      {R"({"attrs":{"i1":"x"}})", "attrs"},
      {R"({"attrs":{"i1":{"k":1}}})", "attrs"},
  };
  for (const auto& c : cases) {
    Property p;
    p.service_name = "untouched";
    Status s = format::DecodeProperty(c.text, "/discovery/web/property/backend", &p);
    EXPECT_EQ(s.code(), KREG_CORRUPT) << c.text;
    EXPECT_EQ(s.message(), std::string("property at /discovery/web/property/backend: field \"") + c.field +
                               "\" has the wrong type")
        << c.text;
    EXPECT_EQ(p.service_name, "untouched") << "nothing decoded on error: " << c.text;
  }
}

TEST(Codec, ARecordThatIsNotAnObjectOrNotJson) {
  Instance in;
  EXPECT_EQ(format::DecodeInstance("[1,2]", kWhere, &in).ToString(),
            "corrupt: instance at /discovery/web/instance/i1 is not a JSON object");
  EXPECT_EQ(format::DecodeInstance("null", kWhere, &in).code(), KREG_CORRUPT);
  EXPECT_EQ(format::DecodeInstance("this is not json {", kWhere, &in).ToString(),
            "corrupt: malformed JSON at /discovery/web/instance/i1 (18 bytes)");
  EXPECT_EQ(format::DecodeInstance("", kWhere, &in).ToString(),
            "corrupt: malformed JSON at /discovery/web/instance/i1 (0 bytes)");
  EXPECT_EQ(format::DecodeInstance(R"({"id":"i1"} trailing)", kWhere, &in).code(), KREG_CORRUPT);
  EXPECT_EQ(format::DecodeInstance("{\"id\":\"\xff\"}", kWhere, &in).code(), KREG_CORRUPT) << "not UTF-8";
  Property p;
  EXPECT_EQ(format::DecodeProperty("\"web\"", "p", &p).ToString(), "corrupt: property at p is not a JSON object");
  EXPECT_EQ(format::DecodeProperty("{", "p", &p).ToString(), "corrupt: malformed JSON at p (1 bytes)");
}

TEST(Codec, ViewsForKregctlCarryTheVersions) {
  Service s;
  s.service_name = "web";
  Instance in = SampleInstance();
  in.version = 7;
  in.data_version = 2;
  s.instances["sh001"]["i1"] = std::make_shared<const Instance>(in);
  s.update_time = 1700000000;
  s.version = 7;
  const json j = format::ServiceToJson(s);
  EXPECT_EQ(j["version"], 7);
  EXPECT_EQ(j["instances"]["sh001"]["i1"]["version"], 7);
  EXPECT_EQ(j["instances"]["sh001"]["i1"]["data_version"], 2);
  EXPECT_EQ(j["instances"]["sh001"]["i1"]["hostname"], "host-i1");

  WatchEvent synced;
  synced.type = EventType::kSynced;
  EXPECT_EQ(format::EventToJson(synced).dump(), R"({"info":"none","type":"synced"})");
  WatchEvent error;
  error.type = EventType::kError;
  error.message = "m";
  EXPECT_EQ(format::EventToJson(error).dump(), R"({"info":"none","message":"m","type":"error"})");
  WatchEvent created;
  created.type = EventType::kCreate;
  created.info = EventInfo::kProperty;
  created.service_name = "web";
  created.property.service_name = "web";
  created.version = 9;
  created.data_version = 1;
  EXPECT_EQ(format::EventToJson(created).dump(),
            R"({"data":{"attrs":{},"service_name":"web","zone_weights":{}},"data_version":1,"info":"property",)"
            R"("service_name":"web","type":"create","version":9})");
}

}  // namespace
}  // namespace kreg
