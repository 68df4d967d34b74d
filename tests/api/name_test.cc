// Service names and instance ids (api/CONTRACT.md "Names and sizes"):
// 1-255 bytes of [A-Za-z0-9._:@-], not "." or "..", checked with one
// error text per rule; and the size limit of a stored record.
#include <gtest/gtest.h>

#include <string>

#include "kreg/validate.hpp"

namespace kreg {
namespace {

// The allowed characters, written out as the contract lists them.
constexpr std::string_view kAllowed =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:@-";

TEST(ValidateName, LengthBoundaries) {
  EXPECT_EQ(ValidateName("service name", "").ToString(), "invalid argument: service name must be 1-255 bytes, got 0");
  EXPECT_TRUE(ValidateName("service name", "a").ok());
  EXPECT_TRUE(ValidateName("service name", std::string(255, 'a')).ok());
  EXPECT_EQ(ValidateName("service name", std::string(256, 'a')).ToString(),
            "invalid argument: service name must be 1-255 bytes, got 256");
  // The length is checked before the characters: a long name of bad
  // characters is told it is too long.
  EXPECT_EQ(ValidateName("instance id", std::string(300, ' ')).message(), "instance id must be 1-255 bytes, got 300");
}

TEST(ValidateName, DotAndDotDotAreRefusedButOtherDotsAreNot) {
  EXPECT_EQ(ValidateName("service name", ".").message(), "service name must not be \".\"");
  EXPECT_EQ(ValidateName("instance id", "..").message(), "instance id must not be \"..\"");
  EXPECT_EQ(ValidateName("instance id", "..").code(), KREG_INVALID_ARGUMENT);
  for (const char* ok : {"...", ".a", "a.", "..a", "a..", ".hidden", "1.2.3.4:80"}) {
    EXPECT_TRUE(ValidateName("service name", ok).ok()) << ok;
  }
}

TEST(ValidateName, EachAllowedCharacterAloneAndTogether) {
  for (char c : kAllowed) {
    if (c == '.') continue;  // "." alone is the refused name
    EXPECT_TRUE(ValidateName("service name", std::string(1, c)).ok()) << "'" << c << "'";
  }
  EXPECT_TRUE(ValidateName("service name", kAllowed).ok());
}

TEST(ValidateName, EveryOtherByteIsRefusedAnywhere) {
  for (int b = 0; b < 256; ++b) {
    const char c = static_cast<char>(b);
    if (kAllowed.find(c) != std::string_view::npos) continue;
    for (const std::string& name : {std::string(1, c), "a" + std::string(1, c), std::string(1, c) + "z",
                                    "a" + std::string(1, c) + "z"}) {
      Status s = ValidateName("instance id", name);
      EXPECT_EQ(s.code(), KREG_INVALID_ARGUMENT) << "byte " << b;
      EXPECT_EQ(s.message(), "instance id \"" + name + "\" has a character outside [A-Za-z0-9._:@-]") << "byte " << b;
    }
  }
}

TEST(ValidateName, ASampleOfRefusedNamesAsWritten) {
  for (const char* bad : {"a b", "a/b", "/", "a\\b", "caf\xc3\xa9", "a*", "a?", "a#b", "a,b", "a+b", "a=b", "~a",
                          "a\tb", "a\nb", "(a)", "[a]", "{a}", "a\"b", "a'b", "a%2F", "a!"}) {
    EXPECT_FALSE(ValidateName("service name", bad).ok()) << bad;
  }
  EXPECT_EQ(ValidateName("service name", std::string("a\0b", 3)).message(),
            "service name \"" + std::string("a\0b", 3) + "\" has a character outside [A-Za-z0-9._:@-]");
}

TEST(ValidateInstanceKey, TheServiceNameIsCheckedFirst) {
  EXPECT_TRUE(ValidateInstanceKey("web", "i-1").ok());
  EXPECT_EQ(ValidateInstanceKey("", "").message(), "service name must be 1-255 bytes, got 0");
  EXPECT_EQ(ValidateInstanceKey("web", "").message(), "instance id must be 1-255 bytes, got 0");
  EXPECT_EQ(ValidateInstanceKey("web", "a b").message(),
            "instance id \"a b\" has a character outside [A-Za-z0-9._:@-]");
}

TEST(ValidateText, InstanceErrorsNameTheField) {
  const std::string bad = "\xff";
  Instance in;
  EXPECT_TRUE(ValidateInstanceText(in).ok());
  in.hostname = "h\xc3\xa9";  // é is fine
  EXPECT_TRUE(ValidateInstanceText(in).ok());

  struct Case {
    const char* field;
    void (*spoil)(Instance*, const std::string&);
  };
  const Case cases[] = {
      {"zone", [](Instance* i, const std::string& b) { i->zone = b; }},
      {"env", [](Instance* i, const std::string& b) { i->env = b; }},
      {"hostname", [](Instance* i, const std::string& b) { i->hostname = b; }},
      {"addrs", [](Instance* i, const std::string& b) { i->addrs[b] = "x"; }},
      {"addrs", [](Instance* i, const std::string& b) { i->addrs["http"] = b; }},
      {"metadata", [](Instance* i, const std::string& b) { i->metadata[b] = "x"; }},
      {"metadata", [](Instance* i, const std::string& b) { i->metadata["k"] = b; }},
  };
  for (const Case& c : cases) {
    Instance spoilt;
    c.spoil(&spoilt, bad);
    Status s = ValidateInstanceText(spoilt);
    EXPECT_EQ(s.code(), KREG_INVALID_ARGUMENT) << c.field;
    EXPECT_EQ(s.message(), std::string(c.field) + " is not valid UTF-8");
  }
}

TEST(ValidateText, PropertyErrorsNameTheField) {
  Property p;
  p.zone_weights["z1"].src = "z1";
  p.zone_weights["z1"].dst["z2"] = 3;
  p.attrs["i1"]["k"] = "v";
  EXPECT_TRUE(ValidatePropertyText(p).ok());

  Property zone = p;
  zone.zone_weights["\xc0\xaf"].src = "z";
  EXPECT_EQ(ValidatePropertyText(zone).message(), "zone_weights is not valid UTF-8");
  Property src = p;
  src.zone_weights["z1"].src = "\xed\xa0\x80";
  EXPECT_EQ(ValidatePropertyText(src).message(), "zone_weights is not valid UTF-8");
  Property dst = p;
  dst.zone_weights["z1"].dst["\xf5"] = 1;
  EXPECT_EQ(ValidatePropertyText(dst).message(), "zone_weights is not valid UTF-8");
  Property key = p;
  key.attrs["i1"]["\x80"] = "v";
  EXPECT_EQ(ValidatePropertyText(key).message(), "attrs is not valid UTF-8");
  Property value = p;
  value.attrs["i2"]["k"] = "\xe2\x82";
  EXPECT_EQ(ValidatePropertyText(value).message(), "attrs is not valid UTF-8");
}

TEST(ValidateStoredSize, AtTheLimitAndOneOver) {
  EXPECT_EQ(kMaxStoredBytes, 1032192u) << "1 MiB less 16 KiB, as CONTRACT.md says";
  EXPECT_TRUE(ValidateStoredSize("instance", "web/i1", 0).ok());
  EXPECT_TRUE(ValidateStoredSize("instance", "web/i1", kMaxStoredBytes).ok());
  Status s = ValidateStoredSize("instance", "web/i1", kMaxStoredBytes + 1);
  EXPECT_EQ(s.code(), KREG_INVALID_ARGUMENT);
  EXPECT_EQ(s.message(),
            "instance \"web/i1\" is 1032193 bytes stored; a backend holds at most 1032192 (shrink its metadata)");
}

}  // namespace
// Each string is checked on its own: a key ending in half a character and a
// value starting with the rest are two bad strings, not one good one.
TEST(ValidateText, KeyAndValueAreCheckedApart) {
  Instance in;
  in.metadata["k\xc3"] = "\xa9";
  EXPECT_EQ(ValidateInstanceText(in).message(), "metadata is not valid UTF-8");
  Instance addr;
  addr.addrs["http\xc3"] = "\xa9";
  EXPECT_EQ(ValidateInstanceText(addr).message(), "addrs is not valid UTF-8");
  Property attrs;
  attrs.attrs["i1"]["k\xc3"] = "\xa9";
  EXPECT_EQ(ValidatePropertyText(attrs).message(), "attrs is not valid UTF-8");
  Property zone;
  zone.zone_weights["z\xc3"].src = "\xa9";
  EXPECT_EQ(ValidatePropertyText(zone).message(), "zone_weights is not valid UTF-8");
}

}  // namespace kreg
