// kregctl's command line without a process: the value parsers of
// host/cli/args.h and the CLI11 declaration of host/cli/command_line.h,
// with the exact error lines a user sees after "kregctl: ".
#include <gtest/gtest.h>

#include "args.h"
#include "command_line.h"

namespace kreg {
namespace cli {
namespace {

using std::chrono::milliseconds;

TEST(ParseKeyValueTest, SplitsAtTheFirstEquals) {
  std::string key, value;
  ASSERT_TRUE(ParseKeyValue("color=blue", &key, &value).ok());
  EXPECT_EQ(key, "color");
  EXPECT_EQ(value, "blue");
  ASSERT_TRUE(ParseKeyValue("expr=a=b", &key, &value).ok());
  EXPECT_EQ(key, "expr");
  EXPECT_EQ(value, "a=b");
}

TEST(ParseKeyValueTest, RefusesAMissingSide) {
  std::string key, value;
  for (const char* text : {"color", "=blue", "color=", "", "="}) {
    Status s = ParseKeyValue(text, &key, &value);
    EXPECT_EQ(s.code(), KREG_INVALID_ARGUMENT) << text;
    EXPECT_EQ(s.message(), "\"" + std::string(text) + "\" must be key=value");
  }
}

TEST(ParseAddrTest, AcceptsSchemeEqualsHostPort) {
  std::string scheme, host_port;
  ASSERT_TRUE(ParseAddr("http=127.0.0.1:8080", &scheme, &host_port).ok());
  EXPECT_EQ(scheme, "http");
  EXPECT_EQ(host_port, "127.0.0.1:8080");
  ASSERT_TRUE(ParseAddr("grpc=[::1]:9000", &scheme, &host_port).ok());
  EXPECT_EQ(host_port, "[::1]:9000");
}

TEST(ParseAddrTest, RefusesWithAnExample) {
  std::string scheme, host_port;
  for (const char* text : {"nohost", "=127.0.0.1:8080", "http=", "127.0.0.1:8080"}) {
    Status s = ParseAddr(text, &scheme, &host_port);
    EXPECT_EQ(s.message(), "\"" + std::string(text) + "\" must be scheme=host:port, e.g. http=127.0.0.1:8080");
  }
}

TEST(ParseZoneWeightTest, AcceptsWholeWeights) {
  std::string src, dst;
  uint64_t weight = 1;
  ASSERT_TRUE(ParseZoneWeight("sh001:sh002=30", &src, &dst, &weight).ok());
  EXPECT_EQ(src, "sh001");
  EXPECT_EQ(dst, "sh002");
  EXPECT_EQ(weight, 30u);
  ASSERT_TRUE(ParseZoneWeight("a:b=0", &src, &dst, &weight).ok());
  EXPECT_EQ(weight, 0u);
  ASSERT_TRUE(ParseZoneWeight("a:b=18446744073709551615", &src, &dst, &weight).ok());
  EXPECT_EQ(weight, 18446744073709551615u);
}

TEST(ParseZoneWeightTest, RefusesSignsFractionsOverflowAndMissingParts) {
  std::string src, dst;
  uint64_t weight = 0;
  for (const char* text : {"a:b=-1", "a:b=+1", "a:b= 1", "a:b=1x", "a:b=1.5", "a:b=18446744073709551616", "a:b=",
                           "a=1", ":b=1", "a:=1", "a:b", ""}) {
    Status s = ParseZoneWeight(text, &src, &dst, &weight);
    EXPECT_EQ(s.message(), "\"" + std::string(text) + "\" must be SRC:DST=WEIGHT, e.g. sh001:sh002=30");
  }
}

TEST(ParseAttrTest, SplitsAtTheEqualsThenTheLastColon) {
  std::string id, key, value;
  ASSERT_TRUE(ParseAttr("web-1:backend-metadata-online=N", &id, &key, &value).ok());
  EXPECT_EQ(id, "web-1");
  EXPECT_EQ(key, "backend-metadata-online");
  EXPECT_EQ(value, "N");
  // An id holding a ':', and a value holding '=' and ':'.
  ASSERT_TRUE(ParseAttr("10.0.0.9:8080:color=red=x:y", &id, &key, &value).ok());
  EXPECT_EQ(id, "10.0.0.9:8080");
  EXPECT_EQ(key, "color");
  EXPECT_EQ(value, "red=x:y");
}

TEST(ParseAttrTest, RefusesWithAnExample) {
  std::string id, key, value;
  for (const char* text : {"web-1=N", ":online=N", "web-1:=N", "web-1:online", "web-1:online=", ""}) {
    Status s = ParseAttr(text, &id, &key, &value);
    EXPECT_EQ(s.message(),
              "\"" + std::string(text) + "\" must be ID:key=value, e.g. web-1:backend-metadata-online=N");
  }
}

TEST(ParseCountTest, AcceptsOneAndUp) {
  int64_t count = 0;
  ASSERT_TRUE(ParseCount("1", &count).ok());
  EXPECT_EQ(count, 1);
  ASSERT_TRUE(ParseCount("9223372036854775807", &count).ok());
  EXPECT_EQ(count, 9223372036854775807);
}

TEST(ParseCountTest, RefusesZeroSignsWordsAndOverflow) {
  int64_t count = 0;
  for (const char* text : {"0", "-1", "+3", "3x", "zero", "", "9223372036854775808"}) {
    Status s = ParseCount(text, &count);
    EXPECT_EQ(s.message(), "must be a positive number, not \"" + std::string(text) + "\"");
  }
}

// The message ParseCommandLine fails with, or "ok".
std::string UsageError(const std::vector<std::string>& args) {
  CommandLine line;
  Status s = ParseCommandLine(args, &line);
  if (s.ok()) return "ok";
  EXPECT_EQ(s.code(), KREG_INVALID_ARGUMENT);
  return s.message();
}

CommandLine Parsed(const std::vector<std::string>& args) {
  CommandLine line;
  Status s = ParseCommandLine(args, &line);
  EXPECT_TRUE(s.ok()) << s.message();
  return line;
}

TEST(CommandLineTest, RegisterTakesEveryFlag) {
  CommandLine line = Parsed({"register", "--service", "demo", "--id", "web-1", "--zone", "sh001", "--env", "prod",
                             "--hostname", "h1", "--addr", "http=127.0.0.1:8080", "--addr=grpc=127.0.0.1:9000",
                             "--meta", "color=blue", "--meta", "version=1.5", "--ttl", "500ms", "--refresh",
                             "--hold"});
  EXPECT_EQ(line.command, "register");
  EXPECT_EQ(line.instance.service_name, "demo");
  EXPECT_EQ(line.instance.id, "web-1");
  EXPECT_EQ(line.instance.zone, "sh001");
  EXPECT_EQ(line.instance.env, "prod");
  EXPECT_EQ(line.instance.hostname, "h1");
  EXPECT_EQ(line.instance.addrs, (StringMap{{"http", "127.0.0.1:8080"}, {"grpc", "127.0.0.1:9000"}}));
  EXPECT_EQ(line.instance.metadata, (StringMap{{"color", "blue"}, {"version", "1.5"}}));
  EXPECT_EQ(line.register_options.ttl, milliseconds(500));
  EXPECT_TRUE(line.register_options.refresh);
  EXPECT_TRUE(line.hold);
  EXPECT_EQ(line.config_path, "configs/file.yaml");
  EXPECT_FALSE(line.json);
}

TEST(CommandLineTest, DefaultsWhenFlagsAreLeftOut) {
  CommandLine line = Parsed({"register", "--service", "demo", "--id", "web-1"});
  EXPECT_EQ(line.register_options.ttl, kDefaultTtl);
  EXPECT_FALSE(line.register_options.refresh);
  EXPECT_FALSE(line.hold);
  EXPECT_TRUE(line.instance.addrs.empty());
  line = Parsed({"watch"});
  EXPECT_EQ(line.count, 0) << "no limit";
  EXPECT_EQ(line.timeout, milliseconds(0)) << "no timeout";
}

TEST(CommandLineTest, GlobalFlagsGoBeforeOrAfterTheCommand) {
  CommandLine line = Parsed({"--config", "a.yaml", "--json", "get", "demo"});
  EXPECT_EQ(line.config_path, "a.yaml");
  EXPECT_TRUE(line.json);
  EXPECT_EQ(line.service, "demo");
  line = Parsed({"get", "demo", "--json", "--config=b.yaml"});
  EXPECT_EQ(line.config_path, "b.yaml");
  EXPECT_TRUE(line.json);
  EXPECT_EQ(line.command, "get");
}

TEST(CommandLineTest, ASingleValuedFlagGivenTwiceKeepsTheLast) {
  CommandLine line = Parsed({"deregister", "--service", "a", "--id", "x", "--service", "b"});
  EXPECT_EQ(line.instance.service_name, "b");
}

TEST(CommandLineTest, EachCommandParses) {
  for (const char* command : {"list", "type", "plugins"}) EXPECT_EQ(Parsed({command}).command, command);
  CommandLine line = Parsed({"deregister", "--service", "demo", "--id", "web-1"});
  EXPECT_EQ(line.instance.service_name, "demo");
  EXPECT_EQ(line.instance.id, "web-1");
}

TEST(CommandLineTest, SetPropertyCollectsWeightsAndAttrs) {
  CommandLine line = Parsed({"set-property", "--service", "demo", "--zone-weight", "sh001:sh001=70",
                             "--zone-weight", "sh001:sh002=30", "--attr", "web-2:backend-metadata-online=N",
                             "--attr", "10.0.0.9:8080:color=red"});
  const Property& p = line.property;
  EXPECT_EQ(p.service_name, "demo");
  ASSERT_EQ(p.zone_weights.count("sh001"), 1u);
  EXPECT_EQ(p.zone_weights.at("sh001").src, "sh001");
  EXPECT_EQ(p.zone_weights.at("sh001").dst, (std::map<std::string, uint64_t>{{"sh001", 70}, {"sh002", 30}}));
  EXPECT_EQ(p.attrs.at("web-2"), (StringMap{{"backend-metadata-online", "N"}}));
  EXPECT_EQ(p.attrs.at("10.0.0.9:8080"), (StringMap{{"color", "red"}}));
}

TEST(CommandLineTest, DurationsGoThroughParseDuration) {
  EXPECT_EQ(Parsed({"register", "--service", "s", "--id", "i", "--ttl", "2m"}).register_options.ttl,
            milliseconds(120000));
  EXPECT_EQ(Parsed({"watch", "--timeout", "10s"}).timeout, milliseconds(10000));
  EXPECT_EQ(Parsed({"watch", "--timeout", "0s"}).timeout, milliseconds(0));
  EXPECT_EQ(UsageError({"register", "--service", "s", "--id", "i", "--ttl", "soon"}),
            "--ttl: bad duration \"soon\": write a whole number with a unit ms, s, m or h, e.g. 10s");
  EXPECT_EQ(UsageError({"register", "--service", "s", "--id", "i", "--ttl", "0s"}),
            "--ttl: the TTL must be longer than 0");
  EXPECT_EQ(UsageError({"register", "--service", "s", "--id", "i", "--ttl", "99999h"}),
            "--ttl: duration \"99999h\" is too long (at most 24 days)");
  EXPECT_EQ(UsageError({"watch", "--timeout", "1"}),
            "--timeout: bad duration \"1\": write a whole number with a unit ms, s, m or h, e.g. 10s");
}

TEST(CommandLineTest, CountsAreWholeAndPositive) {
  EXPECT_EQ(Parsed({"watch", "--count", "3", "--timeout", "1s"}).count, 3);
  EXPECT_EQ(UsageError({"watch", "--count", "3x"}), "--count must be a positive number, not \"3x\"");
  EXPECT_EQ(UsageError({"watch", "--count", "0"}), "--count must be a positive number, not \"0\"");
  EXPECT_EQ(UsageError({"watch", "--count=-2"}), "--count must be a positive number, not \"-2\"");
}

TEST(CommandLineTest, MalformedValuesNameTheFlag) {
  EXPECT_EQ(UsageError({"register", "--service", "s", "--id", "i", "--addr", "nohost"}),
            "--addr \"nohost\" must be scheme=host:port, e.g. http=127.0.0.1:8080");
  EXPECT_EQ(UsageError({"register", "--service", "s", "--id", "i", "--meta", "k"}), "--meta \"k\" must be key=value");
  EXPECT_EQ(UsageError({"set-property", "--service", "s", "--zone-weight", "a:b=-1"}),
            "--zone-weight \"a:b=-1\" must be SRC:DST=WEIGHT, e.g. sh001:sh002=30");
  EXPECT_EQ(UsageError({"set-property", "--service", "s", "--attr", "x=1"}),
            "--attr \"x=1\" must be ID:key=value, e.g. web-1:backend-metadata-online=N");
}

// An invalid name is a malformed value, a usage error (exit 2) like the
// others, found before any config or backend is read.
TEST(CommandLineTest, InvalidNamesAreUsageErrors) {
  EXPECT_EQ(UsageError({"register", "--service", "bad name", "--id", "i"}),
            "--service: service name \"bad name\" has a character outside [A-Za-z0-9._:@-]");
  EXPECT_EQ(UsageError({"register", "--service", "s", "--id", ".."}), "--id: instance id must not be \"..\"");
  EXPECT_EQ(UsageError({"deregister", "--service", "s", "--id", ""}), "--id: instance id must be 1-255 bytes, got 0");
  EXPECT_EQ(UsageError({"set-property", "--service", "a/b"}),
            "--service: service name \"a/b\" has a character outside [A-Za-z0-9._:@-]");
  EXPECT_EQ(UsageError({"get", "a b"}), "SERVICE: service name \"a b\" has a character outside [A-Za-z0-9._:@-]");
  EXPECT_EQ(UsageError({"get", "-a b"}), "SERVICE: service name \"-a b\" has a character outside [A-Za-z0-9._:@-]");
}

TEST(CommandLineTest, MissingRequiredFlagOrArgument) {
  EXPECT_EQ(UsageError({"register", "--service", "demo"}), "kregctl register needs --id (see kregctl --help)");
  EXPECT_EQ(UsageError({"register"}), "kregctl register needs --service (see kregctl --help)");
  EXPECT_EQ(UsageError({"deregister", "--id", "x"}), "kregctl deregister needs --service (see kregctl --help)");
  EXPECT_EQ(UsageError({"set-property"}), "kregctl set-property needs --service (see kregctl --help)");
  EXPECT_EQ(UsageError({"get"}), "kregctl get needs SERVICE (see kregctl --help)");
  EXPECT_EQ(UsageError({"register", "--service", "demo", "--id"}), "--id: 1 required ID missing (see kregctl --help)");
}

// Names may start with '-' ([A-Za-z0-9._:@-]), which a parser takes for a
// short flag; `get` has none, so such a word is its SERVICE, as is any word
// after `--`.
TEST(CommandLineTest, AServiceNameStartingWithADashIsTheService) {
  EXPECT_EQ(Parsed({"get", "-svc"}).service, "-svc");
  EXPECT_EQ(Parsed({"get", "--", "-svc"}).service, "-svc");
  EXPECT_EQ(Parsed({"get", "--", "--svc"}).service, "--svc");
  EXPECT_EQ(Parsed({"--json", "get", "-svc"}).json, true);
  EXPECT_EQ(UsageError({"get", "--svc"}), "unknown flag --svc (see kregctl --help)") << "a misspelt long flag stays one";
}

TEST(CommandLineTest, UnknownOrMisplacedWords) {
  EXPECT_EQ(UsageError({"deregister", "--service", "demo", "--id", "x", "--ttl", "5s"}),
            "--ttl is not a flag of `kregctl deregister` (see kregctl --help)");
  EXPECT_EQ(UsageError({"list", "--count=3"}), "--count is not a flag of `kregctl list` (see kregctl --help)");
  // A misspelt flag is the cause of the "missing" one, so it is named.
  EXPECT_EQ(UsageError({"register", "--service", "demo", "--idd", "x"}), "unknown flag --idd (see kregctl --help)");
  EXPECT_EQ(UsageError({"frobnicate"}), "unknown command \"frobnicate\" (see kregctl --help)");
  EXPECT_EQ(UsageError({"get", "a", "b"}), "`kregctl get` takes no argument \"b\" (see kregctl --help)");
  EXPECT_EQ(UsageError({"register", "--service", "s", "--id", "i", "--addr", "a=b:1", "c=d:2"}),
            "`kregctl register` takes no argument \"c=d:2\" (see kregctl --help)")
      << "each --addr takes one value";
  EXPECT_EQ(UsageError({"list", "get", "x"}), "`kregctl list` takes no argument \"get\" (see kregctl --help)");
  EXPECT_EQ(UsageError({}),
            "no command given; the commands are register, deregister, get, list, watch, set-property, type, plugins "
            "(see kregctl --help)");
}

TEST(CommandLineTest, HelpIsGeneratedFromTheDeclaration) {
  CommandLine line = Parsed({"--help"});
  EXPECT_EQ(line.command, "");
  for (const char* word : {"register", "deregister", "get", "list", "watch", "set-property", "type", "plugins",
                           "--config FILE", "--json", "Exit codes: 0 ok, 1 failed, 2 usage"}) {
    EXPECT_NE(line.help.find(word), std::string::npos) << word << " in:\n" << line.help;
  }
  // Help wins over missing flags: it is how a user finds them.
  line = Parsed({"register", "--help"});
  for (const char* word : {"Usage: kregctl register", "--service NAME REQUIRED", "--addr scheme=host:port",
                           "--meta k=v", "--ttl DURATION=30s", "--refresh", "--hold"}) {
    EXPECT_NE(line.help.find(word), std::string::npos) << word << " in:\n" << line.help;
  }
  line = Parsed({"set-property", "-h"});
  EXPECT_NE(line.help.find("--zone-weight SRC:DST=W"), std::string::npos) << line.help;
  EXPECT_NE(line.help.find("--attr ID:k=v"), std::string::npos) << line.help;
  EXPECT_NE(Parsed({"watch", "--help"}).help.find("--count N"), std::string::npos);
}

}  // namespace
}  // namespace cli
}  // namespace kreg
