#include "base64.h"

#include <gtest/gtest.h>

namespace kreg {
namespace etcd {
namespace {

TEST(EtcdBase64, EncodesTheStandardVectors) {
  // RFC 4648 section 10.
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foo"), "Zm9v");
  EXPECT_EQ(Base64Encode("foob"), "Zm9vYg==");
  EXPECT_EQ(Base64Encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
}

TEST(EtcdBase64, RoundTripsEveryByte) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  for (size_t n = 0; n <= all.size(); n += 37) {
    std::string decoded;
    ASSERT_TRUE(Base64Decode(Base64Encode(all.substr(0, n)), &decoded));
    EXPECT_EQ(decoded, all.substr(0, n));
  }
}

TEST(EtcdBase64, RefusesWhatIsNotBase64) {
  std::string out;
  EXPECT_FALSE(Base64Decode("Zm9v!", &out));
  EXPECT_FALSE(Base64Decode("Z", &out)) << "one character is no byte";
  EXPECT_FALSE(Base64Decode("Zg==Zg", &out)) << "nothing after padding";
  EXPECT_FALSE(Base64Decode("Zg===", &out));
  ASSERT_TRUE(Base64Decode("Zm8", &out)) << "unpadded is read too";
  EXPECT_EQ(out, "fo");
}

}  // namespace
}  // namespace etcd
}  // namespace kreg
