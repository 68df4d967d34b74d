// keeper-embed against ZooKeeper, from the install round_trip.sh made: the
// installed keeper-embed and kregctl load the installed zookeeper plugin by
// name, with a real server from the shared fixture.
#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <sstream>

#include <gtest/gtest.h>

#include "kreg/host/open.h"
#include "support/process.h"
#include "support/temp_dir.h"
#include "support/zookeeper_server.h"

namespace kreg {
namespace testing {
namespace {

using std::chrono::seconds;

const std::string kPrefix = KREG_ROUND_TRIP_DIR "/prefix";

bool Printed(const Process& p, const std::string& line_start) {
  return ("\n" + p.Stdout()).find("\n" + line_start) != std::string::npos;
}

TEST(OutOfTreeZooKeeperTest, KeeperEmbedFollowsRegistrationsAndSessions) {
  ASSERT_TRUE(std::filesystem::exists(kPrefix + "/bin/keeper-embed"))
      << "no install in " << kPrefix << "; run out_of_tree.round_trip first (ctest does)";
  std::string error;
  auto zk = ZooKeeperServer::Start(1, &error);
  ASSERT_NE(zk, nullptr) << error;
  TempDir dir;
  std::string config = dir.WriteFile("zk.yaml", "registry:\n  plugin: zookeeper\n  addrs: [" + zk->addr(0) +
                                                    "]\n  timeout: 10s\n  options: {session_timeout: 2s}\n"
                                                    "log:\n  level: warn\n");
  auto kregctl = [&](const std::string& service, const std::string& id) {
    return std::vector<std::string>{kPrefix + "/bin/kregctl", "--config", config, "register", "--service",
                                    service, "--id", id, "--ttl", "10m", "--hold"};
  };
  // z0 is there before keeper-embed starts: it comes from the list, and
  // the watch's snapshot repeating it is no change.
  Process holder0(kregctl("demo", "z0"), dir.path());
  ASSERT_TRUE(WaitFor([&] { return Printed(holder0, "registered demo/z0"); }, seconds(30))) << holder0.Stderr();

  Process keeper({kPrefix + "/bin/keeper-embed", "--config", config, "--count", "9"}, dir.path());
  ASSERT_TRUE(WaitFor([&] { return Printed(keeper, "synced"); }, seconds(30))) << keeper.Stderr();
  Process holder1(kregctl("demo", "z1"), dir.path());
  ASSERT_TRUE(WaitFor([&] { return Printed(keeper, "demo z1 create "); }, seconds(30)))
      << keeper.Stdout() << holder1.Stderr();
  holder1.Signal(SIGTERM);  // deregisters
  EXPECT_EQ(holder1.Wait(seconds(20)), 0) << holder1.Stderr();
  ASSERT_TRUE(WaitFor([&] { return Printed(keeper, "demo z1 delete "); }, seconds(30))) << keeper.Stdout();
  // The instances of one session go in one transaction when it closes:
  // their deletes share a version, and the book applies every one. (This
  // registrant is the test itself, through the in-tree plugin.)
  {
    Registry other;
    ASSERT_TRUE(host::OpenRegistryFromFile(config, &other).ok());
    for (const char* id : {"g0", "g1", "g2"}) {
      Instance instance;
      instance.service_name = "demo";
      instance.id = id;
      instance.zone = "z1";
      ASSERT_TRUE(other.Register(instance).ok());
    }
    ASSERT_TRUE(WaitFor([&] { return Printed(keeper, "demo g2 create "); }, seconds(30))) << keeper.Stdout();
  }
  ASSERT_TRUE(WaitFor([&] { return Printed(keeper, "demo g2 delete "); }, seconds(30))) << keeper.Stdout();
  holder0.Signal(SIGKILL);  // z0 goes with its session, 2 s on
  EXPECT_EQ(holder0.Wait(), 128 + SIGKILL);
  EXPECT_EQ(keeper.Wait(seconds(30)), 0) << keeper.Stdout() << keeper.Stderr();

  std::istringstream out(keeper.Stdout());
  std::vector<std::string> changes;
  std::map<std::string, long long> version_of;
  long long last = 0;
  for (std::string line; std::getline(out, line);) {
    size_t at = line.find(" version=");
    changes.push_back(line.substr(0, at));
    if (at == std::string::npos) continue;
    long long version = std::stoll(line.substr(at + 9));
    EXPECT_LE(last, version) << "versions went back: " << keeper.Stdout();
    last = version;
    version_of[changes.back()] = version;
  }
  ASSERT_GE(changes.size(), 9u) << keeper.Stdout();
  // The three deletes of one closed session share a version, in any order.
  std::sort(changes.begin() + 6, changes.begin() + 9);
  EXPECT_EQ(changes, (std::vector<std::string>{"synced", "demo z1 create", "demo z1 delete", "demo g0 create",
                                               "demo g1 create", "demo g2 create", "demo g0 delete", "demo g1 delete",
                                               "demo g2 delete", "demo z0 delete"}))
      << keeper.Stdout();
  EXPECT_EQ(version_of["demo g0 delete"], version_of["demo g2 delete"]) << keeper.Stdout();
  EXPECT_EQ(version_of["demo g1 delete"], version_of["demo g2 delete"]) << keeper.Stdout();
}

}  // namespace
}  // namespace testing
}  // namespace kreg
