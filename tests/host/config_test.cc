#include "kreg/host/config.h"

#include <gtest/gtest.h>

#include "support/temp_dir.h"

namespace kreg {
namespace host {
namespace {

TEST(ConfigTest, ReadsEveryKey) {
  Config c;
  Status s = ParseConfig(R"(registry:
  plugin: zookeeper
  plugin_dir: build/plugins
  addrs: [127.0.0.1:2181, 127.0.0.1:2182]
  timeout: 5s
  root: /discovery
  username: keeper
  password_env: KREG_PASSWORD
  options: {session_timeout: 10s}
log:
  level: debug
)",
                         "zk.yaml", &c);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(c.plugin, "zookeeper");
  EXPECT_EQ(c.plugin_dir, "build/plugins");
  EXPECT_EQ(c.addrs, (std::vector<std::string>{"127.0.0.1:2181", "127.0.0.1:2182"}));
  EXPECT_EQ(c.timeout, std::chrono::milliseconds(5000));
  EXPECT_EQ(c.root, "/discovery");
  EXPECT_EQ(c.username, "keeper");
  EXPECT_EQ(c.password_env, "KREG_PASSWORD");
  EXPECT_EQ(c.options.at("session_timeout"), "10s");
  EXPECT_EQ(c.log_level, KREG_LOG_DEBUG);
}

TEST(ConfigTest, UnknownKeyNamesFileLineAndColumn) {
  Config c;
  Status s = ParseConfig("registry:\n  plugin: file\n  timout: 5s\n", "typo.yaml", &c);
  EXPECT_EQ(s.code(), KREG_INVALID_ARGUMENT);
  EXPECT_NE(s.message().find("typo.yaml:3:3: unknown key \"timout\" in registry"), std::string::npos)
      << s.message();
  EXPECT_NE(s.message().find("timeout"), std::string::npos) << "lists the known keys: " << s.message();
}

TEST(ConfigTest, UnknownTopLevelKey) {
  Config c;
  Status s = ParseConfig("registry:\n  plugin: file\nlogging:\n  level: info\n", "top.yaml", &c);
  EXPECT_NE(s.message().find("top.yaml:3:1: unknown key \"logging\""), std::string::npos) << s.message();
}

TEST(ConfigTest, BadDurationNamesTheKey) {
  Config c;
  Status s = ParseConfig("registry:\n  plugin: file\n  timeout: 5 seconds\n", "d.yaml", &c);
  EXPECT_EQ(s.code(), KREG_INVALID_ARGUMENT);
  EXPECT_NE(s.message().find("d.yaml:3:12: registry.timeout: bad duration \"5 seconds\""), std::string::npos)
      << s.message();
}

TEST(ConfigTest, MissingPluginIsAnError) {
  Config c;
  Status s = ParseConfig("registry:\n  root: /x\n", "p.yaml", &c);
  EXPECT_NE(s.message().find("registry.plugin is missing"), std::string::npos) << s.message();
}

TEST(ConfigTest, BrokenYamlSaysWhere) {
  Config c;
  Status s = ParseConfig("registry:\n  plugin: [file\n", "broken.yaml", &c);
  EXPECT_EQ(s.code(), KREG_INVALID_ARGUMENT);
  EXPECT_NE(s.message().find("broken.yaml:"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("not valid YAML"), std::string::npos) << s.message();
}

TEST(ConfigTest, WrongShapes) {
  Config c;
  EXPECT_NE(ParseConfig("registry:\n  plugin: file\n  addrs: 127.0.0.1:2181\n", "a.yaml", &c)
                .message()
                .find("registry.addrs: must be a list"),
            std::string::npos);
  EXPECT_NE(ParseConfig("registry:\n  plugin: file\nlog:\n  level: loud\n", "l.yaml", &c)
                .message()
                .find("unknown log level \"loud\""),
            std::string::npos);
}

TEST(ConfigTest, MissingFileSaysHowToFix) {
  Config c;
  Status s = LoadConfig("/nonexistent/kreg.yaml", &c);
  EXPECT_EQ(s.code(), KREG_NOT_FOUND);
  EXPECT_NE(s.message().find("/nonexistent/kreg.yaml"), std::string::npos);
}

}  // namespace
}  // namespace host
}  // namespace kreg
