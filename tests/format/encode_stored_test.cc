// EncodeStored: the text a backend writes, refused with INVALID_ARGUMENT
// naming the record when it would be over kMaxStoredBytes or a string is
// not UTF-8 (api/CONTRACT.md "Names and sizes").
#include <gtest/gtest.h>

#include <string>

#include "kreg/json_format.hpp"
#include "support/sample.h"

namespace kreg {
namespace {

Instance Named() { return testing::MakeInstance("web", "i1"); }

// `in` with metadata "pad" grown so that its stored text is `bytes` long.
Instance StoredAs(size_t bytes) {
  Instance in = Named();
  in.metadata["pad"] = "";
  const size_t base = format::EncodeInstance(in).size();
  in.metadata["pad"] = std::string(bytes - base, 'x');
  return in;
}

TEST(EncodeStored, AnInstanceAtTheLimitIsStored) {
  const Instance in = StoredAs(kMaxStoredBytes);
  std::string out;
  Status s = format::EncodeStored(in, &out);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(out.size(), kMaxStoredBytes);
  EXPECT_EQ(out, format::EncodeInstance(in));
}

TEST(EncodeStored, AnInstanceOneByteOverIsRefusedNamingIt) {
  std::string out;
  Status s = format::EncodeStored(StoredAs(kMaxStoredBytes + 1), &out);
  EXPECT_EQ(s.code(), KREG_INVALID_ARGUMENT);
  EXPECT_EQ(s.message(),
            "instance \"web/i1\" is 1032193 bytes stored; a backend holds at most 1032192 (shrink its metadata)");
}

TEST(EncodeStored, TheLimitIsOnTheStoredTextEscapesIncluded) {
  // 200000 control characters are 200000 bytes in memory but six each as
  // JSON ("\u0001"): over the limit once stored.
  Instance in = Named();
  in.metadata["k"] = std::string(200000, '\x01');
  std::string out;
  EXPECT_EQ(format::EncodeStored(in, &out).code(), KREG_INVALID_ARGUMENT);
}

TEST(EncodeStored, APropertyAtTheLimitAndOneOver) {
  Property p;
  p.service_name = "web";
  p.attrs["i1"]["pad"] = "";
  const size_t base = format::EncodeProperty(p).size();
  p.attrs["i1"]["pad"] = std::string(kMaxStoredBytes - base, 'x');
  std::string out;
  ASSERT_TRUE(format::EncodeStored(p, &out).ok());
  EXPECT_EQ(out.size(), kMaxStoredBytes);
  p.attrs["i1"]["pad"] += "x";
  Status s = format::EncodeStored(p, &out);
  EXPECT_EQ(s.code(), KREG_INVALID_ARGUMENT);
  EXPECT_EQ(s.message(),
            "property \"web\" is 1032193 bytes stored; a backend holds at most 1032192 (shrink its metadata)");
}

TEST(EncodeStored, AnInstanceStringThatIsNotUtf8IsRefusedNamingTheInstance) {
  const char* bad[] = {"\xff", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "caf\xc3"};
  for (const char* b : bad) {
    for (int field = 0; field < 5; ++field) {
      Instance in = Named();
      if (field == 0) in.hostname = b;
      if (field == 1) in.env = b;
      if (field == 2) in.addrs[b] = "1.2.3.4:80";
      if (field == 3) in.metadata["k"] = b;
      if (field == 4) in.zone = b;
      std::string out;
      Status s = format::EncodeStored(in, &out);
      EXPECT_EQ(s.code(), KREG_INVALID_ARGUMENT) << field;
      EXPECT_EQ(s.message(), "instance \"web/i1\" has a string that is not valid UTF-8") << field;
    }
  }
}

TEST(EncodeStored, AKeyAndValueThatOnlyJoinToUtf8AreRefused) {
  // "k\xc3" and "\xa9" written one after the other would be "ké".
  Instance in = Named();
  in.metadata["k\xc3"] = "\xa9";
  std::string out;
  EXPECT_EQ(format::EncodeStored(in, &out).code(), KREG_INVALID_ARGUMENT);
}

TEST(EncodeStored, APropertyStringThatIsNotUtf8IsRefusedNamingTheService) {
  for (int field = 0; field < 4; ++field) {
    Property p;
    p.service_name = "web";
    if (field == 0) p.zone_weights["\xff"].src = "z1";
    if (field == 1) p.zone_weights["z1"].src = "\xff";
    if (field == 2) p.zone_weights["z1"].dst["\xff"] = 1;
    if (field == 3) p.attrs["i1"]["k"] = "\xff";
    std::string out;
    Status s = format::EncodeStored(p, &out);
    EXPECT_EQ(s.code(), KREG_INVALID_ARGUMENT) << field;
    EXPECT_EQ(s.message(), "property of \"web\" has a string that is not valid UTF-8") << field;
  }
}

TEST(EncodeStored, ValidUtf8OfEveryLengthIsStoredAsIs) {
  Instance in = Named();
  in.hostname = "h\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf";
  std::string out;
  ASSERT_TRUE(format::EncodeStored(in, &out).ok());
  EXPECT_NE(out.find(in.hostname), std::string::npos) << "not escaped: " << out;
}

}  // namespace
}  // namespace kreg
