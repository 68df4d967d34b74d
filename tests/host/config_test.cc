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

TEST(ConfigTest, OverlongDurationIsTooLongNotBad) {
  Config c;
  Status s = ParseConfig("registry:\n  plugin: file\n  timeout: 99999999999999999999s\n", "d.yaml", &c);
  EXPECT_EQ(s.message(),
            "d.yaml:3:12: registry.timeout: duration \"99999999999999999999s\" is too long (at most 24 days)");
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

// yaml-cpp keeps both pairs of a repeated key; the host read the first
// (plugin, timeout) or the last (options), and never checked the other.
TEST(ConfigTest, DuplicateKeyNamesBothPlaces) {
  const struct {
    const char* yaml;
    const char* says;
  } cases[] = {
      {"registry: {plugin: nosuch, plugin: file}\n",
       "dup.yaml:1:28: duplicate key \"plugin\" in registry (first at 1:12); keep one"},
      {"registry:\n  plugin: file\n  timeout: 5s\n  timeout: 10x\n",
       "dup.yaml:4:3: duplicate key \"timeout\" in registry (first at 3:3); keep one"},
      {"registry:\n  plugin: file\n  options: {path: a, path: b}\n",
       "dup.yaml:3:22: duplicate key \"path\" in registry.options (first at 3:13); keep one"},
      {"registry: {plugin: file}\nregistry: {plugin: zookeeper}\n",
       "dup.yaml:2:1: duplicate key \"registry\" in the top level (first at 1:1); keep one"},
      {"registry: {plugin: file}\nlog: {level: info, level: debug}\n",
       "dup.yaml:2:20: duplicate key \"level\" in log (first at 2:7); keep one"},
  };
  for (const auto& c : cases) {
    Config config;
    Status s = ParseConfig(c.yaml, "dup.yaml", &config);
    EXPECT_EQ(s.code(), KREG_INVALID_ARGUMENT) << c.yaml;
    EXPECT_EQ(s.message(), c.says) << c.yaml;
  }
}

// A NUL would cut the string short wherever it goes next (a C string, a
// path): the file plugin would lock and write another file.
TEST(ConfigTest, NulByteInAnyStringIsRefused) {
  const struct {
    std::string yaml;
    const char* says;
  } cases[] = {
      {"registry:\n  plugin: file\n  options: {path: \"/dir/reg.json\\0x\"}\n",
       "nul.yaml:3:19: registry.options.path holds a NUL byte (\\0); remove it"},
      {"registry:\n  plugin: \"fi\\0le\"\n", "nul.yaml:2:11: registry.plugin holds a NUL byte (\\0); remove it"},
      {"registry:\n  plugin: file\n  addrs: [\"a\\0b:1\"]\n",
       "nul.yaml:3:11: registry.addrs holds a NUL byte (\\0); remove it"},
      {"registry:\n  plugin: file\n  \"pl\\0ugin\": x\n",
       "nul.yaml:3:3: registry.pl\\0ugin holds a NUL byte (\\0); remove it"},
  };
  for (const auto& c : cases) {
    Config config;
    Status s = ParseConfig(c.yaml, "nul.yaml", &config);
    EXPECT_EQ(s.code(), KREG_INVALID_ARGUMENT) << c.yaml;
    EXPECT_EQ(s.message(), c.says) << c.yaml;
  }
}

// yaml-cpp lets an alias refer to the node that holds it: a cycle the
// checks above must not follow for ever.
TEST(ConfigTest, AliasCycleIsAnErrorNotACrash) {
  Config c;
  Status s = ParseConfig("registry: &r {plugin: file, options: *r}\n", "cycle.yaml", &c);
  EXPECT_EQ(s.code(), KREG_INVALID_ARGUMENT);
  EXPECT_NE(s.message().find("registry.options.options: must be a scalar"), std::string::npos) << s.message();
  s = ParseConfig("a: &x [*x]\n", "cycle.yaml", &c);
  EXPECT_NE(s.message().find("unknown key \"a\""), std::string::npos) << s.message();
}

TEST(ConfigTest, DirectoryIsNotAConfigFile) {
  testing::TempDir dir;
  Config c;
  Status s = LoadConfig(dir.path(), &c);
  EXPECT_EQ(s.code(), KREG_INVALID_ARGUMENT);
  EXPECT_EQ(s.message(), dir.path() + " is a directory, not a config file; pass a YAML file with --config");
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
