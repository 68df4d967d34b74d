// The fast path of DecodeInstance (kreg/plain_instance.hpp) against the
// general way, a JSON tree read by InstanceFromJson: what it accepts decodes
// to the same instance; what it declines is left to the general way; and a
// record as kreg writes it takes the fast path.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "kreg/json_format.hpp"
#include "kreg/plain_instance.hpp"
#include "support/sample.h"

namespace kreg {
namespace {

using format::json;
using format::internal::PlainInstanceReader;

// What the general way makes of `text`: false when it is not an instance.
bool DecodeByTree(const std::string& text, Instance* out) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  return !j.is_discarded() && format::InstanceFromJson(j, "w", out).ok();
}

// True when the fast path accepts `text`; then the general way must too,
// to the same stored fields.
bool AcceptedAlike(const std::string& text) {
  Instance fast;
  if (!PlainInstanceReader(text).Read(&fast)) return false;
  Instance tree;
  EXPECT_TRUE(DecodeByTree(text, &tree)) << "the fast path accepted what is no instance: " << text;
  EXPECT_EQ(format::InstanceToJson(fast), format::InstanceToJson(tree)) << text;
  return true;
}

std::string Canonical() { return format::EncodeInstance(testing::MakeInstance("web", "i1", "sh001")); }

TEST(PlainInstance, WhatKregWritesTakesTheFastPath) {
  EXPECT_TRUE(AcceptedAlike(Canonical()));
  Instance full = testing::MakeInstance("web", "i1", "sh001");
  full.env = "prod";
  full.hostname = "host-1.example.internal";
  full.addrs = {{"http", "10.0.0.1:80"}, {"grpc", "10.0.0.1:9090"}};
  full.metadata = {{"weight", "100"}, {"color", "blue"}};
  full.reg_time = 1764000000;
  full.update_time = -1;
  EXPECT_TRUE(AcceptedAlike(format::EncodeInstance(full)));
  EXPECT_TRUE(AcceptedAlike(format::EncodeInstance(Instance())));
}

TEST(PlainInstance, AcceptsPlainVariantsAsTheTreeReadsThem) {
  const char* accepted[] = {
      "{}",
      " \t\r\n{ \"id\" : \"i1\" , \"zone\":\"z\" }\n ",
      R"({"id":"a","id":"b"})",                                           // the last wins
      R"({"addrs":{"http":"h:1"},"addrs":{"grpc":"h:2"}})",               // a whole map, too
      R"({"metadata":{"k":"1","k":"2"}})",
      R"({"id":null,"addrs":null,"reg_time":null})",                      // null is absent
      R"({"id":"a","id":null})",
      R"({"weight":5,"online":true,"gone":false,"note":"x","z":null})",   // unknown scalars skipped
      R"({"reg_time":-9223372036854775808,"update_time":9223372036854775807})",
      R"({"reg_time":0,"update_time":-0})",
      R"({"metadata":{}})",
      R"({"id":""})",
  };
  for (const char* text : accepted) EXPECT_TRUE(AcceptedAlike(text)) << "declined: " << text;
}

TEST(PlainInstance, DeclinesAllElseForTheGeneralWay) {
  const char* declined[] = {
      R"({"id":"a\"b"})",                 // an escape
      "{\"id\":\"\xe2\x82\xac\"}",        // past ASCII
      "\xef\xbb\xbf{}",                   // a byte-order mark
      "{\"id\":\"a\tb\"}",                // a control byte
      R"({"reg_time":1.5})",              // a fraction
      R"({"reg_time":1e3})",              // an exponent
      R"({"reg_time":01})",               // not JSON
      R"({"reg_time":9223372036854775808})",
      R"({"reg_time":-9223372036854775809})",
      R"({"reg_time":"1"})",              // wrong types
      R"({"id":1})",
      R"({"addrs":{"http":80}})",
      R"({"addrs":[]})",
      R"({"extra":{"nested":1}})",        // a nested unknown value
      R"({"extra":[1]})",
      R"({"id":"a",})",                   // bad syntax
      R"({"id":"a"} x)",
      R"({"id":"a")",
      R"({"id" "a"})",
      R"({"id":nul})",
      R"({"x":truex})",
      R"([])",
      "null",
      "",
  };
  for (const char* text : declined) {
    Instance in;
    in.id = "untouched";
    EXPECT_FALSE(PlainInstanceReader(text).Read(&in)) << "accepted: " << text;
    EXPECT_EQ(in.id, "untouched") << text;
  }
}

// Edits of a plain record, byte by byte, in JSON's own alphabet: the fast
// path never accepts one that the tree reads otherwise or not at all.
TEST(PlainInstance, NoEditedRecordIsAcceptedUnlikeTheTree) {
  const std::string base = Canonical();
  const std::string alphabet = "{}[]:,\"\\ -0123456789.eEnultrfas\t\n\x7f\x80";
  std::mt19937 random(20261204);
  int accepted = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string text = base;
    const int edits = 1 + static_cast<int>(random() % 3);
    for (int e = 0; e < edits; ++e) {
      const size_t at = random() % (text.size() + 1);
      const char c = alphabet[random() % alphabet.size()];
      switch (random() % 3) {
        case 0:
          text.insert(at, 1, c);
          break;
        case 1:
          if (at < text.size()) text.erase(at, 1);
          break;
        default:
          if (at < text.size()) text[at] = c;
          break;
      }
    }
    if (AcceptedAlike(text)) ++accepted;
  }
  // Most edits break the record; some (in a value, in spacing) do not.
  EXPECT_GT(accepted, 1000);
}

}  // namespace
}  // namespace kreg
