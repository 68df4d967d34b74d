// kregctl end to end: the real binary, the real file plugin, temp dirs.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "kreg/data_model.hpp"
#include "support/lock_holder.h"
#include "support/process.h"
#include "support/temp_dir.h"
#include "support/zookeeper_server.h"

namespace kreg {
namespace testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class KregctlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = dir_.WriteFile("kreg.yaml", "registry:\n  plugin: file\n  plugin_dir: " KREG_TEST_PLUGIN_DIR
                                          "\n  options: {path: " +
                                              dir_.Join("registry.json") + "}\nlog:\n  level: warn\n");
  }

  std::vector<std::string> Argv(std::vector<std::string> args) const {
    args.insert(args.begin(), {std::string(KREG_TEST_BIN_DIR) + "/kregctl", "--config", config_});
    return args;
  }

  RunResult Kregctl(std::vector<std::string> args) const { return RunProcess(Argv(std::move(args)), dir_.path()); }

  TempDir dir_;
  std::string config_;
};

int Lines(const std::string& text) { return static_cast<int>(std::count(text.begin(), text.end(), '\n')); }

TEST_F(KregctlTest, RegisterGetListDeregister) {
  RunResult r = Kregctl({"register", "--service", "demo", "--id", "web-1", "--zone", "sh001", "--addr",
                         "http=127.0.0.1:8080", "--meta", "color=blue", "--hostname", "h1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "registered demo/web-1\n");
  ASSERT_EQ(Kregctl({"register", "--service", "demo", "--id", "web-2", "--zone", "sh002"}).exit_code, 0);
  r = Kregctl({"set-property", "--service", "demo", "--zone-weight", "sh001:sh002=30", "--attr",
               "web-2:backend-metadata-online=N", "--attr", "10.0.0.9:8080:color=red"});
  ASSERT_EQ(r.exit_code, 0) << r.err;

  r = Kregctl({"get", "demo", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["service_name"], "demo");
  EXPECT_EQ(j["instances"]["sh001"]["web-1"]["addrs"]["http"], "127.0.0.1:8080");
  EXPECT_EQ(j["instances"]["sh001"]["web-1"]["metadata"]["color"], "blue");
  EXPECT_EQ(j["instances"]["sh002"]["web-2"]["metadata"]["backend-metadata-online"], "N");
  EXPECT_NE(j["metadata"]["backend-metadata-zone_weight"].get<std::string>().find("30"), std::string::npos);
  EXPECT_GT(j["version"].get<int64_t>(), 0);

  r = Kregctl({"get", "demo"});
  EXPECT_NE(r.out.find("web-2 (offline)"), std::string::npos) << r.out;

  r = Kregctl({"list"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("demo instances=2"), std::string::npos) << r.out;

  ASSERT_EQ(Kregctl({"deregister", "--service", "demo", "--id", "web-1"}).exit_code, 0);
  r = Kregctl({"list", "--json"});
  EXPECT_EQ(nlohmann::json::parse(r.out)["instances"].size(), 1u) << r.out;
  EXPECT_EQ(Kregctl({"type"}).out, "file\n");
}

// The contract's "a refresh keeps reg_time": kregctl leaves the times to
// the backend, so a refresh a second or more later moves update_time only.
TEST_F(KregctlTest, RefreshKeepsRegTimeAndMovesUpdateTime) {
  ASSERT_EQ(Kregctl({"register", "--service", "demo", "--id", "web-1", "--zone", "z1"}).exit_code, 0);
  auto stored = [&] {
    RunResult r = Kregctl({"get", "demo", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return nlohmann::json::parse(r.out)["instances"]["z1"]["web-1"];
  };
  const int64_t reg_time = stored()["reg_time"].get<int64_t>();
  ASSERT_GT(reg_time, 0);
  ASSERT_TRUE(WaitFor([&] { return UnixSeconds() > reg_time; }, seconds(3)));

  ASSERT_EQ(Kregctl({"register", "--service", "demo", "--id", "web-1", "--zone", "z1", "--refresh"}).exit_code, 0);
  nlohmann::json refreshed = stored();
  EXPECT_EQ(refreshed["reg_time"].get<int64_t>(), reg_time) << refreshed;
  EXPECT_GT(refreshed["update_time"].get<int64_t>(), reg_time) << refreshed;
}

TEST_F(KregctlTest, MissingRequiredFlagIsOneClearLine) {
  RunResult r = Kregctl({"register", "--service", "demo"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "kregctl: kregctl register needs --id (see kregctl --help)\n");
  EXPECT_EQ(r.out, "");
}

TEST_F(KregctlTest, HelpPrintsTheUsageOnStdoutAndExits0) {
  RunResult r = Kregctl({"--help"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Usage: kregctl"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("set-property"), std::string::npos) << r.out;
  r = Kregctl({"watch", "--help"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Usage: kregctl watch"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("--timeout DURATION"), std::string::npos) << r.out;
  EXPECT_EQ(r.err, "");
}

TEST_F(KregctlTest, FlagOfAnotherCommandIsRejected) {
  RunResult r = Kregctl({"deregister", "--service", "demo", "--id", "x", "--ttl", "5s"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--ttl is not a flag of `kregctl deregister`"), std::string::npos) << r.err;
}

TEST_F(KregctlTest, BadInputsExitNonZeroWithOneLine) {
  struct Case {
    std::vector<std::string> args;
    int code;
    std::string says;
  } cases[] = {
      {{"register", "--service", "demo", "--id", "x", "--ttl", "soon"}, 2, "bad duration \"soon\""},
      {{"register", "--service", "demo", "--id", "x", "--ttl", "0s"}, 2, "the TTL must be longer than 0"},
      {{"register", "--service", "demo", "--id", "x", "--ttl", "99999h"}, 2, "is too long"},
      {{"register", "--service", "demo", "--id", "x", "--ttl", "9999999999999ms"}, 2, "too long (at most 24 days)"},
      {{"register", "--service", "help", "--id", "x", "--zone", "\xff"}, 1, "not valid UTF-8"},
      {{"watch", "--count", "3x"}, 2, "--count must be a positive number"},
      {{"register", "--service", "demo", "--id", "x", "--addr", "nohost"}, 2, "must be scheme=host:port"},
      {{"register", "--service", "bad name", "--id", "x"}, 2, "service name \"bad name\""},
      {{"get", "bad name"}, 2, "service name \"bad name\""},
      {{"get", "nosuch"}, 3, "not found"},
      {{"watch", "--count", "zero"}, 2, "--count must be a positive number"},
      {{"set-property", "--service", "demo", "--zone-weight", "a:b=-1"}, 2, "must be SRC:DST=WEIGHT"},
      {{"frobnicate"}, 2, "unknown command \"frobnicate\""},
      {{}, 2, "no command given"},
      {{"list", "--frob"}, 2, "unknown flag --frob"},
  };
  for (const auto& c : cases) {
    RunResult r = Kregctl(c.args);
    EXPECT_EQ(r.exit_code, c.code) << c.says << ": " << r.err;
    EXPECT_NE(r.err.find(c.says), std::string::npos) << r.err;
    EXPECT_EQ(Lines(r.err), 1) << r.err;
  }
}

TEST_F(KregctlTest, ConfigErrorsNameFileAndPosition) {
  std::string bad = dir_.WriteFile("bad.yaml", "registry:\n  plugin: file\n  pluginn_dir: x\n");
  RunResult r = RunProcess({std::string(KREG_TEST_BIN_DIR) + "/kregctl", "--config", bad, "list"}, dir_.path());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(bad + ":3:3: unknown key \"pluginn_dir\""), std::string::npos) << r.err;

  std::string missing = dir_.WriteFile("missing.yaml", "registry:\n  plugin: nosuch\n  plugin_dir: /nowhere\n");
  r = RunProcess({std::string(KREG_TEST_BIN_DIR) + "/kregctl", "--config", missing, "list"}, dir_.path());
  EXPECT_EQ(r.exit_code, 1) << "3 is kept for an unknown service";
  EXPECT_NE(r.err.find("/nowhere/libkreg_nosuch.so"), std::string::npos) << r.err;
}

TEST_F(KregctlTest, ADirectoryAsConfigSaysSo) {
  RunResult r = RunProcess({std::string(KREG_TEST_BIN_DIR) + "/kregctl", "--config", dir_.path(), "get", "demo"},
                           dir_.path());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "kregctl: invalid argument: " + dir_.path() +
                       " is a directory, not a config file; pass a YAML file with --config\n");
}

// Opening a FIFO waits for a writer; kregctl must refuse it at once.
TEST_F(KregctlTest, FifoAsPluginIsRefusedNotWaitedOn) {
  std::string fifo = dir_.Join("libkreg_fifo.so");
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  config_ = dir_.WriteFile("fifo.yaml", "registry:\n  plugin: " + fifo + "\n");
  RunResult r = RunProcess(Argv({"type"}), dir_.path(), {}, seconds(10));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find(fifo + " is a FIFO, not a regular file"), std::string::npos) << r.err;

  r = RunProcess(Argv({"plugins"}), dir_.path(), {{"KREG_PLUGIN_PATH", dir_.path()}}, seconds(10));
  EXPECT_NE(r.exit_code, -1) << "hung";
  EXPECT_NE(r.out.find(fifo + " is a FIFO, not a regular file"), std::string::npos) << r.out << r.err;
}

// `plugins` lists the config's plugin_dir first; a config it cannot read
// is an error, as for every other command, not a reason to drop that dir.
TEST_F(KregctlTest, PluginsWithAnInvalidConfigReportsIt) {
  config_ = dir_.WriteFile("bad.yaml", "registry:\n  plugin: file\n  plugin_dirr: " KREG_TEST_PLUGIN_DIR "\n");
  RunResult r = Kregctl({"plugins"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(config_ + ":3:3: unknown key \"plugin_dirr\""), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");
}

TEST_F(KregctlTest, PluginsWithoutAConfigListsTheDefaultDirs) {
  RunResult r = RunProcess(
      {std::string(KREG_TEST_BIN_DIR) + "/kregctl", "--config", dir_.Join("absent.yaml"), "plugins"}, dir_.path());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("libkreg_file.so"), std::string::npos) << r.out;
}

TEST_F(KregctlTest, CorruptBackendFileIsRefusedAndKept) {
  std::string garbage = "{\"format\": \"kreg-file\", \"revision\": 3, \"serv";  // truncated
  std::string path = dir_.WriteFile("registry.json", garbage);
  RunResult r = Kregctl({"register", "--service", "demo", "--id", "x"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(path), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("corrupt"), std::string::npos) << r.err;
  EXPECT_EQ(ReadFile(path), garbage) << "a corrupt file must never be overwritten";
}

TEST_F(KregctlTest, WatcherSeesHolderComeAndGoAfterKill9) {
  Process watcher(Argv({"watch", "--json", "--count", "2", "--timeout", "60s"}), dir_.path());
  // The watch prints "synced" once it is live.
  ASSERT_TRUE(WaitFor([&] { return watcher.Stdout().find("synced") != std::string::npos; }, seconds(20)));

  Process holder(Argv({"register", "--service", "held", "--id", "h1", "--ttl", "1s", "--hold"}), dir_.path());
  ASSERT_TRUE(WaitFor([&] { return watcher.Stdout().find("\"create\"") != std::string::npos; }, seconds(20)))
      << watcher.Stdout();
  holder.Signal(SIGKILL);
  EXPECT_EQ(holder.Wait(), 128 + SIGKILL);

  auto killed = std::chrono::steady_clock::now();
  EXPECT_EQ(watcher.Wait(seconds(30)), 0) << watcher.Stderr();
  EXPECT_LT(std::chrono::steady_clock::now() - killed, seconds(10)) << "the delete comes about a TTL after death";
  std::string out = watcher.Stdout();
  EXPECT_NE(out.find("\"type\":\"delete\""), std::string::npos) << out;
  EXPECT_NE(out.find("\"id\":\"h1\""), std::string::npos) << out;
}

#ifdef KREG_TEST_HAVE_ZOOKEEPER
// With ZooKeeper the instance is an ephemeral node: it goes with the dead
// holder's session, long before its (one minute) TTL.
TEST_F(KregctlTest, ZooKeeperWatcherSeesKilledHolderGoWithinTheSessionTimeout) {
  std::string error;
  auto zk = ZooKeeperServer::Start(1, &error);
  ASSERT_NE(zk, nullptr) << error;
  config_ = dir_.WriteFile("zk.yaml", "registry:\n  plugin: zookeeper\n  plugin_dir: " KREG_TEST_PLUGIN_DIR
                                      "\n  addrs: [" +
                                          zk->addr(0) +
                                          "]\n  timeout: 10s\n  options: {session_timeout: 2s}\nlog:\n  level: warn\n");
  Process watcher(Argv({"watch", "--json", "--count", "2", "--timeout", "60s"}), dir_.path());
  ASSERT_TRUE(WaitFor([&] { return watcher.Stdout().find("synced") != std::string::npos; }, seconds(30)))
      << watcher.Stderr();
  Process holder(Argv({"register", "--service", "held", "--id", "z1", "--ttl", "60s", "--hold"}), dir_.path());
  ASSERT_TRUE(WaitFor([&] { return watcher.Stdout().find("\"create\"") != std::string::npos; }, seconds(30)))
      << watcher.Stdout() << holder.Stderr();
  holder.Signal(SIGKILL);
  EXPECT_EQ(holder.Wait(), 128 + SIGKILL);

  auto killed = std::chrono::steady_clock::now();
  EXPECT_EQ(watcher.Wait(seconds(30)), 0) << watcher.Stderr();
  // The server expires the session 2 s after the last heartbeat; allow for
  // its expiry tick and a loaded machine.
  EXPECT_LT(std::chrono::steady_clock::now() - killed, seconds(10));
  std::string out = watcher.Stdout();
  EXPECT_NE(out.find("\"type\":\"delete\""), std::string::npos) << out;
  EXPECT_NE(out.find("\"id\":\"z1\""), std::string::npos) << out;
}

// A loopback port bound but never listened on, held for the test's life:
// connecting to it is refused, and no other process can take it meanwhile.
class RefusingPort {
 public:
  RefusingPort() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(a);
    if (fd_ >= 0 && bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0 &&
        getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
      port_ = ntohs(a.sin_port);
    }
  }
  ~RefusingPort() {
    if (fd_ >= 0) close(fd_);
  }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// The ZooKeeper client's reconnect chatter and its environment banner stay
// below the default log level: a command against a dead ensemble prints
// its one error line.
TEST_F(KregctlTest, ZooKeeperDeadEnsembleIsOneErrorLine) {
  RefusingPort dead;
  ASSERT_NE(dead.port(), 0);
  config_ = dir_.WriteFile("dead.yaml", "registry:\n  plugin: zookeeper\n  plugin_dir: " KREG_TEST_PLUGIN_DIR
                                        "\n  addrs: [127.0.0.1:" +
                                            std::to_string(dead.port()) + "]\n  timeout: 1500ms\n");
  for (const char* command : {"get", "list"}) {
    std::vector<std::string> args = {command};
    if (args[0] == "get") args.push_back("x");
    RunResult r = Kregctl(args);
    EXPECT_EQ(r.exit_code, 1) << command << ": " << r.err;
    EXPECT_EQ(Lines(r.err), 1) << command << ": " << r.err;
    EXPECT_NE(r.err.find("cannot connect to zookeeper"), std::string::npos) << command << ": " << r.err;
  }
}
#endif  // KREG_TEST_HAVE_ZOOKEEPER

TEST_F(KregctlTest, HoldDeregistersOnSigterm) {
  Process holder(Argv({"register", "--service", "held", "--id", "h2", "--hold"}), dir_.path());
  ASSERT_TRUE(WaitFor([&] { return holder.Stdout().find("registered") != std::string::npos; }, seconds(20)));
  EXPECT_EQ(Kregctl({"get", "held", "--json"}).out.find("h2") != std::string::npos, true);
  holder.Signal(SIGTERM);
  EXPECT_EQ(holder.Wait(seconds(20)), 0) << holder.Stderr();
  EXPECT_NE(holder.Stdout().find("deregistered held/h2"), std::string::npos);
  EXPECT_EQ(Kregctl({"get", "held", "--json"}).out.find("h2"), std::string::npos);
}

// A one-shot command is stopped by Ctrl-C or SIGTERM wherever it waits,
// here for the registry's lock, which a stuck process holds.
TEST_F(KregctlTest, OneShotCommandWaitingForTheLockDiesOnSigtermAndSigint) {
  config_ = dir_.WriteFile("slow.yaml", "registry:\n  plugin: file\n  plugin_dir: " KREG_TEST_PLUGIN_DIR
                                        "\n  timeout: 10m\n  options: {path: " +
                                            dir_.Join("registry.json") + "}\nlog:\n  level: warn\n");
  LockHolder holder(dir_.Join("registry.json.lock"), dir_.path());
  ASSERT_TRUE(holder.WaitUntilHeld());
  for (int signo : {SIGTERM, SIGINT}) {
    Process reg(Argv({"register", "--service", "s", "--id", "i"}), dir_.path());
    std::this_thread::sleep_for(milliseconds(500));
    EXPECT_TRUE(reg.running()) << reg.Stderr();
    reg.Signal(signo);
    EXPECT_EQ(reg.Wait(seconds(5)), 128 + signo) << "signal " << signo;
  }
}

TEST_F(KregctlTest, WatchCountCountsChangesAfterSyncedNotTheInitialState) {
  ASSERT_EQ(Kregctl({"register", "--service", "s", "--id", "a"}).exit_code, 0);
  ASSERT_EQ(Kregctl({"register", "--service", "s", "--id", "b"}).exit_code, 0);
  RunResult r = Kregctl({"watch", "--count", "1", "--timeout", "500ms"});
  EXPECT_EQ(r.exit_code, 4) << "the two creates of the initial state are no changes: " << r.out;
  EXPECT_NE(r.err.find("with 0 of 1 events"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("synced"), std::string::npos) << r.out;
}

TEST_F(KregctlTest, WatchTimeoutBeforeCountExits4) {
  RunResult r = Kregctl({"watch", "--count", "1", "--timeout", "500ms"});
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_NE(r.err.find("with 0 of 1 events"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace testing
}  // namespace kreg
