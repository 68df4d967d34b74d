// Records as the Go keeper writes them, by hand, in the shape Go's
// encoding/json gives them: fields in struct order, nil maps as null, map
// keys sorted, <, > and & escaped as \u003c \u003e \u0026, U+2028/U+2029
// and control characters as \uXXXX (lower-case hex), other non-ASCII as
// raw UTF-8. kreg must read each as the Go keeper meant it.
#include <gtest/gtest.h>

#include <string>

#include "kreg/json_format.hpp"

namespace kreg {
namespace {

TEST(GoKeeper, AnInstanceInGoFieldOrder) {
  const char* text =
      R"({"id":"10.0.0.1:8080","service_name":"demo.service","zone":"sh001","env":"prod","hostname":"host-1",)"
      R"("addrs":{"grpc":"10.0.0.1:9000","http":"10.0.0.1:8080"},"metadata":{"weight":"10"},)"
      R"("reg_time":1700000000,"update_time":1700000100})";
  Instance in;
  Status s = format::DecodeInstance(text, "/discovery/demo.service/instance/10.0.0.1:8080", &in);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(in.id, "10.0.0.1:8080");
  EXPECT_EQ(in.service_name, "demo.service");
  EXPECT_EQ(in.zone, "sh001");
  EXPECT_EQ(in.env, "prod");
  EXPECT_EQ(in.hostname, "host-1");
  EXPECT_EQ(in.addrs, StringMap({{"grpc", "10.0.0.1:9000"}, {"http", "10.0.0.1:8080"}}));
  EXPECT_EQ(in.metadata, StringMap({{"weight", "10"}}));
  EXPECT_EQ(in.reg_time, 1700000000);
  EXPECT_EQ(in.update_time, 1700000100);
}

TEST(GoKeeper, NilMapsAreNull) {
  const char* text =
      R"({"id":"i1","service_name":"web","zone":"","env":"","hostname":"","addrs":null,"metadata":null,)"
      R"("reg_time":0,"update_time":0})";
  Instance in;
  ASSERT_TRUE(format::DecodeInstance(text, "w", &in).ok());
  EXPECT_TRUE(in.addrs.empty());
  EXPECT_TRUE(in.metadata.empty());
}

TEST(GoKeeper, GoEscapesDecodeToTheOriginalText) {
  const char* text =
      R"({"id":"i1","service_name":"web","zone":"z1","env":"","hostname":"\u003chost\u003e \u0026 co",)"
      R"("addrs":{},"metadata":{"ctl":"a\u0001b\u001fc","html":"\u003cb\u003e","lines":"1\n2\r3\t4",)"
      R"("old-go":"\u0008\u000c","new-go":"\b\f","quote":"say \"hi\" \\o/","seps":"\u2028\u2029",)"
      R"("text":"café ☕ 😀","replaced":"\ufffd"},"reg_time":1,"update_time":2})";
  Instance in;
  Status s = format::DecodeInstance(text, "w", &in);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(in.hostname, "<host> & co");
  EXPECT_EQ(in.metadata["ctl"], "a\x01" "b\x1f" "c");
  EXPECT_EQ(in.metadata["html"], "<b>");
  EXPECT_EQ(in.metadata["lines"], "1\n2\r3\t4");
  EXPECT_EQ(in.metadata["old-go"], "\b\f");
  EXPECT_EQ(in.metadata["new-go"], "\b\f");
  EXPECT_EQ(in.metadata["quote"], "say \"hi\" \\o/");
  EXPECT_EQ(in.metadata["seps"], "\xe2\x80\xa8\xe2\x80\xa9");
  EXPECT_EQ(in.metadata["text"], "caf\xc3\xa9 \xe2\x98\x95 \xf0\x9f\x98\x80");
  EXPECT_EQ(in.metadata["replaced"], "\xef\xbf\xbd") << "Go writes invalid UTF-8 as U+FFFD";
}

TEST(GoKeeper, EscapedKeysAndSurrogatePairsOtherToolsWrite) {
  Instance in;
  ASSERT_TRUE(format::DecodeInstance(R"({"metadata":{"a\u0026b":"\ud83d\ude00"}})", "w", &in).ok());
  EXPECT_EQ(in.metadata["a&b"], "\xf0\x9f\x98\x80");
}

TEST(GoKeeper, TheLargestInt64Times) {
  Instance in;
  ASSERT_TRUE(format::DecodeInstance(R"({"reg_time":9223372036854775807,"update_time":-9223372036854775808})", "w",
                                     &in)
                  .ok());
  EXPECT_EQ(in.reg_time, INT64_MAX);
  EXPECT_EQ(in.update_time, INT64_MIN);
}

TEST(GoKeeper, APropertyInGoFieldOrder) {
  const char* text =
      R"({"service_name":"web","zone_weights":{"sh001":{"src":"sh001","dst":{"sh001":70,"sh002":30}},)"
      R"("sh002":{"src":"sh002","dst":{"sh002":18446744073709551615}}},)"
      R"("attrs":{"i1":{"backend-metadata-online":"N","weight":"0"}}})";
  Property p;
  Status s = format::DecodeProperty(text, "/discovery/web/property/backend", &p);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(p.service_name, "web");
  EXPECT_EQ(p.zone_weights["sh001"].src, "sh001");
  EXPECT_EQ(p.zone_weights["sh001"].dst, (std::map<std::string, uint64_t>{{"sh001", 70}, {"sh002", 30}}));
  EXPECT_EQ(p.zone_weights["sh002"].dst["sh002"], UINT64_MAX) << "Go's weights are uint64";
  EXPECT_EQ(p.attrs["i1"], StringMap({{kMetadataOnline, "N"}, {"weight", "0"}}));
}

TEST(GoKeeper, APropertyWithNilMaps) {
  Property p;
  ASSERT_TRUE(format::DecodeProperty(R"({"service_name":"web","zone_weights":null,"attrs":null})", "p", &p).ok());
  EXPECT_EQ(p.service_name, "web");
  EXPECT_TRUE(p.zone_weights.empty());
  EXPECT_TRUE(p.attrs.empty());
  ASSERT_TRUE(format::DecodeProperty(R"({"service_name":"web","zone_weights":{"z1":{"src":"z1","dst":null}},)"
                                     R"("attrs":{"i1":null}})",
                                     "p", &p)
                  .ok());
  EXPECT_TRUE(p.zone_weights["z1"].dst.empty());
}

TEST(GoKeeper, WhatKregWritesReadsBackTheSameThroughAnyFieldOrder) {
  // The Go keeper reorders fields and escapes HTML; kreg reads either.
  Instance in;
  in.id = "i1";
  in.service_name = "web";
  in.hostname = "<h>&";
  in.metadata["k"] = "\xe2\x80\xa8";
  const std::string ours = format::EncodeInstance(in);
  Instance back;
  ASSERT_TRUE(format::DecodeInstance(ours, "w", &back).ok());
  EXPECT_EQ(back.hostname, "<h>&");
  const std::string go_style =
      R"({"id":"i1","service_name":"web","zone":"","env":"","hostname":"\u003ch\u003e\u0026","addrs":null,)"
      R"("metadata":{"k":"\u2028"},"reg_time":0,"update_time":0})";
  Instance from_go;
  ASSERT_TRUE(format::DecodeInstance(go_style, "w", &from_go).ok());
  EXPECT_EQ(format::EncodeInstance(from_go), ours) << "the same record, whoever wrote it";
}

}  // namespace
}  // namespace kreg
