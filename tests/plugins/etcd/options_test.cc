#include "options.h"

#include <gtest/gtest.h>

namespace kreg {
namespace etcd {
namespace {

plugin::Config Minimal() {
  plugin::Config c;
  c.addrs = {"127.0.0.1:2379"};
  return c;
}

TEST(EtcdOptions, Defaults) {
  Options o;
  ASSERT_TRUE(ParseOptions(Minimal(), &o).ok());
  EXPECT_EQ(o.endpoints, std::vector<std::string>{"http://127.0.0.1:2379"});
  EXPECT_EQ(o.root, "/discovery");
  EXPECT_EQ(o.timeout, std::chrono::seconds(5));
  EXPECT_EQ(o.session_timeout, std::chrono::seconds(10));
  EXPECT_FALSE(o.tls.enabled());
}

TEST(EtcdOptions, AddressesAreHostPortOrUrls) {
  plugin::Config c = Minimal();
  c.addrs = {"10.0.0.1:2379", "https://etcd-2:2379/", "http://etcd-3:2379"};
  Options o;
  ASSERT_TRUE(ParseOptions(c, &o).ok());
  EXPECT_EQ(o.endpoints,
            (std::vector<std::string>{"http://10.0.0.1:2379", "https://etcd-2:2379", "http://etcd-3:2379"}));
  c.options["ca_file"] = "/etc/ca.pem";
  ASSERT_TRUE(ParseOptions(c, &o).ok());
  EXPECT_EQ(o.endpoints[0], "https://10.0.0.1:2379") << "host:port is https once TLS is configured";
  for (const char* bad : {"", "etcd", "a:1,b:2", "http://", "http://a:1/v3"}) {
    c.addrs = {bad};
    Status s = ParseOptions(c, &o);
    EXPECT_EQ(s.code(), KREG_INVALID_ARGUMENT) << bad;
  }
}

TEST(EtcdOptions, RootIsNormalized) {
  plugin::Config c = Minimal();
  Options o;
  c.root = "/a/b/";
  ASSERT_TRUE(ParseOptions(c, &o).ok());
  EXPECT_EQ(o.root, "/a/b");
  c.root = "/";
  ASSERT_TRUE(ParseOptions(c, &o).ok());
  EXPECT_EQ(o.root, "");
  c.root = "relative";
  EXPECT_EQ(ParseOptions(c, &o).code(), KREG_INVALID_ARGUMENT);
  c.root = "/a//b";
  EXPECT_EQ(ParseOptions(c, &o).code(), KREG_INVALID_ARGUMENT);
}

TEST(EtcdOptions, BadOptionsAreNamed) {
  auto error = [](const std::string& key, const std::string& value) {
    plugin::Config c = Minimal();
    c.options[key] = value;
    Options o;
    Status s = ParseOptions(c, &o);
    EXPECT_EQ(s.code(), KREG_INVALID_ARGUMENT) << key << "=" << value;
    return s.message();
  };
  EXPECT_NE(error("session_timeout", "500ms").find("whole seconds"), std::string::npos);
  EXPECT_NE(error("session_timeout", "ten").find("session_timeout"), std::string::npos);
  EXPECT_NE(error("watch_idle_timeout", "0s").find("watch_idle_timeout"), std::string::npos);
  EXPECT_NE(error("cert_file", "/c.pem").find("key_file"), std::string::npos);
  EXPECT_NE(error("sesion_timeout", "1s").find("known: session_timeout"), std::string::npos);
  plugin::Config c = Minimal();
  c.username = "keeper";
  Options o;
  EXPECT_NE(ParseOptions(c, &o).message().find("password_env"), std::string::npos);
  c.addrs.clear();
  EXPECT_EQ(ParseOptions(c, &o).code(), KREG_INVALID_ARGUMENT);
}

}  // namespace
}  // namespace etcd
}  // namespace kreg
