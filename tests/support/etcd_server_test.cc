// The etcd fixture itself, against Debian's etcd: what the etcd plugin's
// tests rely on -- it serves, keeps its data across a restart, a cluster
// outlives its leader, Pause silences a member, and nothing is left behind.
#include "support/etcd_server.h"

#include <dirent.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "support/process.h"

namespace kreg {
namespace testing {
namespace {

using std::chrono::seconds;

// Pids of the processes whose command line mentions `text`.
std::vector<pid_t> ProcessesMentioning(const std::string& text) {
  std::vector<pid_t> out;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return out;
  while (dirent* entry = readdir(proc)) {
    pid_t pid = static_cast<pid_t>(std::atoi(entry->d_name));
    if (pid <= 0) continue;
    if (ReadFile("/proc/" + std::string(entry->d_name) + "/cmdline").find(text) != std::string::npos) {
      out.push_back(pid);
    }
  }
  closedir(proc);
  return out;
}

std::string Get(const EtcdServer& etcd, const std::string& key) {
  std::string out;
  int code = etcd.Etcdctl({"get", "--print-value-only", key}, &out);
  return code == 0 ? out : "exit " + std::to_string(code) + ": " + out;
}

TEST(EtcdServerTest, OneMemberServesAKeyPutWithEtcdctl) {
  KREG_START_ETCD(etcd, 1);
  EXPECT_TRUE(etcd->Serving(0));
  EXPECT_EQ(etcd->Leader(), 0);
  EXPECT_EQ(etcd->endpoints(), "http://" + etcd->addr(0));
  std::string out;
  ASSERT_EQ(etcd->Etcdctl({"put", "/kreg/a", "one"}, &out), 0) << out;
  EXPECT_EQ(Get(*etcd, "/kreg/a"), "one\n");
  // The gateway, as the plugin talks to it, sees the same key ("/kreg/a"
  // and "one" in base64).
  std::string range = etcd->Post(0, "/v3/kv/range", R"({"key":"L2tyZWcvYQ=="})");
  EXPECT_NE(range.find(R"("value":"b25l")"), std::string::npos) << range;
  // A failing command tells its exit code and why.
  EXPECT_NE(etcd->Etcdctl({"compaction", "99"}, &out), 0);
  EXPECT_NE(out.find("future revision"), std::string::npos) << out;
}

TEST(EtcdServerTest, OnlyOneOrThreeMembers) {
  std::string error;
  EXPECT_EQ(EtcdServer::Start(2, &error), nullptr);
  EXPECT_NE(error.find("1 or 3"), std::string::npos) << error;
}

TEST(EtcdServerTest, RestartKeepsTheDataDir) {
  KREG_START_ETCD(etcd, 1);
  std::string out;
  ASSERT_EQ(etcd->Etcdctl({"put", "/kreg/kept", "yes"}, &out), 0) << out;

  etcd->Stop(0);
  EXPECT_FALSE(etcd->running(0));
  EXPECT_FALSE(etcd->Serving(0));
  std::string error;
  ASSERT_TRUE(etcd->Restart(0, &error)) << error;
  EXPECT_EQ(Get(*etcd, "/kreg/kept"), "yes\n");

  etcd->Kill(0);
  ASSERT_TRUE(etcd->Restart(0, &error)) << error;
  EXPECT_EQ(Get(*etcd, "/kreg/kept"), "yes\n");
}

TEST(EtcdServerTest, AMemberWithAuthEnabledStillServesForTheFixture) {
  KREG_START_ETCD(etcd, 1);
  std::string out;
  ASSERT_EQ(etcd->Etcdctl({"user", "add", "root:pw"}, &out), 0) << out;
  ASSERT_EQ(etcd->Etcdctl({"auth", "enable"}, &out), 0) << out;
  EXPECT_NE(etcd->Etcdctl({"put", "/kreg/x", "1"}, &out), 0) << out;
  ASSERT_EQ(etcd->Etcdctl({"--user", "root:pw", "put", "/kreg/x", "1"}, &out), 0) << out;

  std::string error;
  ASSERT_TRUE(etcd->Restart(0, &error)) << error;
  EXPECT_EQ(etcd->Leader(), 0);
  EXPECT_EQ(etcd->Etcdctl({"--user", "root:pw", "get", "--print-value-only", "/kreg/x"}, &out), 0) << out;
  EXPECT_EQ(out, "1\n");
}

TEST(EtcdServerTest, PausedMemberAnswersNothingUntilResumed) {
  KREG_START_ETCD(etcd, 1);
  etcd->Pause(0);
  EXPECT_TRUE(etcd->running(0));
  EXPECT_EQ(etcd->Post(0, "/v3/maintenance/status", "{}"), "");
  EXPECT_FALSE(etcd->Serving(0));
  etcd->Resume(0);
  EXPECT_TRUE(WaitFor([&] { return etcd->Serving(0); }, seconds(5)));
}

TEST(EtcdServerTest, ClusterOutlivesItsLeaderAndTakesItBack) {
  KREG_START_ETCD(etcd, 3);
  ASSERT_EQ(etcd->size(), 3);
  EXPECT_EQ(etcd->endpoints(), "http://" + etcd->addr(0) + ",http://" + etcd->addr(1) + ",http://" + etcd->addr(2));
  int old_leader = -1;
  ASSERT_TRUE(WaitFor([&] { return (old_leader = etcd->Leader()) >= 0; }, seconds(10)));

  etcd->Kill(old_leader);
  int new_leader = -1;
  ASSERT_TRUE(WaitFor([&] { return (new_leader = etcd->Leader()) >= 0; }, seconds(10)));
  EXPECT_NE(new_leader, old_leader);
  std::string out;
  ASSERT_EQ(etcd->Etcdctl({"put", "/kreg/while-down", "v"}, &out), 0) << out;

  std::string error;
  ASSERT_TRUE(etcd->Restart(old_leader, &error)) << error;
  // The member that was down catches up: its own endpoint alone reads it.
  EXPECT_EQ(etcd->Etcdctl({"--endpoints=http://" + etcd->addr(old_leader), "get", "--print-value-only",
                           "/kreg/while-down"},
                          &out),
            0)
      << out;
  EXPECT_EQ(out, "v\n");

  // Two of three down: no quorum, no leader, nothing served.
  int survivor = (old_leader + 1) % 3;
  for (int i = 0; i < 3; ++i) {
    if (i != survivor) etcd->Kill(i);
  }
  EXPECT_TRUE(WaitFor([&] { return etcd->Leader() == -1; }, seconds(10)));
  EXPECT_FALSE(etcd->Serving(survivor));
}

TEST(EtcdServerTest, DestructorLeavesNoEtcdProcess) {
  std::vector<std::string> dirs;
  {
    KREG_START_ETCD(etcd, 3);
    etcd->Pause(1);  // a stopped process dies of SIGKILL too
    for (int i = 0; i < etcd->size(); ++i) dirs.push_back(etcd->dir(i));
    ASSERT_EQ(ProcessesMentioning(dirs[0] + "/data").size(), 1u);
  }
  for (const std::string& dir : dirs) {
    EXPECT_TRUE(ProcessesMentioning(dir + "/data").empty()) << dir;
    EXPECT_FALSE(std::filesystem::exists(dir)) << dir;
  }
}

}  // namespace
}  // namespace testing
}  // namespace kreg
