#include "layout.h"

#include <gtest/gtest.h>

namespace kreg {
namespace etcd {
namespace {

TEST(EtcdLayout, WritesTheGoKeepersKeys) {
  Layout layout("/discovery");
  EXPECT_EQ(layout.Prefix(), "/discovery/");
  EXPECT_EQ(layout.Instance("svc", "i1"), "/discovery/svc/instance/i1/");
  EXPECT_EQ(layout.Property("svc"), "/discovery/svc/property/backend/");
  EXPECT_EQ(Layout("").Instance("svc", "i1"), "/svc/instance/i1/") << "root /";
}

TEST(EtcdLayout, ReadsKeysWithAndWithoutTheTrailingSlash) {
  Layout layout("/discovery");
  for (const char* key : {"/discovery/svc/instance/i1/", "/discovery/svc/instance/i1"}) {
    Layout::Ref ref = layout.Parse(key);
    EXPECT_EQ(ref.kind, Layout::Kind::kInstance) << key;
    EXPECT_EQ(ref.service, "svc");
    EXPECT_EQ(ref.id, "i1");
  }
  for (const char* key : {"/discovery/svc/property/backend/", "/discovery/svc/property/backend"}) {
    Layout::Ref ref = layout.Parse(key);
    EXPECT_EQ(ref.kind, Layout::Kind::kProperty) << key;
    EXPECT_EQ(ref.service, "svc");
  }
}

TEST(EtcdLayout, AnythingElseIsOther) {
  Layout layout("/discovery");
  for (const char* key : {"/discovery/svc", "/discovery/svc/", "/discovery/svc/instance/", "/discovery/svc/instance//",
                          "/discovery/svc/instance/a/b/", "/discovery/svc/property/other/", "/discovery/bad name/instance/a/",
                          "/discovery/svc/instance/../", "/other/svc/instance/a/", "/discoveryx/svc/instance/a/",
                          "/discovery//instance/a/"}) {
    EXPECT_EQ(layout.Parse(key).kind, Layout::Kind::kOther) << key;
  }
}

TEST(EtcdLayout, PrefixEndIsTheSmallestKeyAboveThePrefix) {
  EXPECT_EQ(Layout::PrefixEnd("/discovery/"), "/discovery0");
  EXPECT_EQ(Layout::PrefixEnd(std::string("a\xff", 2)), "b");
  EXPECT_EQ(Layout::PrefixEnd(std::string("\xff\xff", 2)), std::string(1, '\0')) << "every key";
}

}  // namespace
}  // namespace etcd
}  // namespace kreg
