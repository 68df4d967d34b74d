#include "support/zookeeper_server.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "support/loopback.h"
#include "support/server_process.h"

namespace kreg {
namespace testing {

namespace {

constexpr const char* kJava = "/usr/bin/java";
constexpr int kTickMs = 500;

std::string ClassPath() {
  const char* jars[] = {"zookeeper.jar",   "zookeeper-jute.jar", "slf4j-api.jar",
                        "slf4j-simple.jar", "netty-all.jar",      "commons-cli.jar",
                        "metrics-core.jar", "snappy-java.jar",    "log4j-1.2.jar"};
  std::string cp = "/etc/zookeeper/conf";
  for (const char* jar : jars) cp += std::string(":/usr/share/java/") + jar;
  return cp;
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
}

}  // namespace

std::unique_ptr<ZooKeeperServer> ZooKeeperServer::Start(int nodes, std::string* error,
                                                        std::chrono::milliseconds timeout) {
  // A free port may be taken by someone else before the JVM binds it: a
  // node that dies at once gets a fresh set of ports and another try.
  for (int attempt = 1;; ++attempt) {
    std::unique_ptr<ZooKeeperServer> zk(new ZooKeeperServer());
    if (zk->TryStart(nodes, error, timeout)) return zk;
    if (attempt == 3) return nullptr;
  }
}

bool ZooKeeperServer::TryStart(int nodes, std::string* error, std::chrono::milliseconds timeout) {
  std::vector<int> ports = FreeLoopbackPorts(nodes * 3);
  if (static_cast<int>(ports.size()) != nodes * 3) {
    *error = "could not find free loopback ports";
    return false;
  }
  nodes_.resize(nodes);
  for (int i = 0; i < nodes; ++i) {
    Node& n = nodes_[i];
    n.client_port = ports[i * 3];
    n.quorum_port = ports[i * 3 + 1];
    n.election_port = ports[i * 3 + 2];
    n.dir = temp_.Join("node" + std::to_string(i + 1));
    std::filesystem::create_directories(n.dir + "/data");
  }
  for (int i = 0; i < nodes; ++i) {
    const Node& n = nodes_[i];
    std::ostringstream cfg;
    cfg << "tickTime=" << kTickMs << "\n"
        << "dataDir=" << n.dir << "/data\n"
        << "clientPort=" << n.client_port << "\n"
        << "clientPortAddress=127.0.0.1\n"
        << "admin.enableServer=false\n"
        << "4lw.commands.whitelist=*\n"
        << "maxClientCnxns=0\n"
        // The log is still written (a killed server keeps its data), just
        // not synced: tests and benchmarks measure the clients, not the disk.
        << "forceSync=no\n"
        << "minSessionTimeout=" << 2 * kTickMs << "\n"
        << "maxSessionTimeout=60000\n";
    if (nodes > 1) {
      cfg << "initLimit=10\nsyncLimit=5\n";
      for (int j = 0; j < nodes; ++j) {
        const Node& m = nodes_[j];
        cfg << "server." << j + 1 << "=127.0.0.1:" << m.quorum_port << ":" << m.election_port << "\n";
      }
      WriteFile(n.dir + "/data/myid", std::to_string(i + 1) + "\n");
    }
    WriteFile(n.dir + "/zoo.cfg", cfg.str());
  }
  for (int i = 0; i < nodes; ++i) {
    if (!Launch(i)) {
      *error = "cannot start java for ZooKeeper node " + std::to_string(i + 1);
      return false;
    }
  }
  for (int i = 0; i < nodes; ++i) {
    if (!WaitServing(i, timeout)) {
      *error = "ZooKeeper node " + std::to_string(i + 1) + " did not serve within " +
               std::to_string(timeout.count()) + "ms; its log ends:\n" + LogTail(i);
      return false;
    }
  }
  return true;
}

ZooKeeperServer::~ZooKeeperServer() {
  for (int i = 0; i < size(); ++i) Kill(i);
}

bool ZooKeeperServer::Launch(int i) {
  Node& n = nodes_[i];
  const bool ensemble = nodes_.size() > 1;
  std::vector<std::string> argv = {kJava,
                                   "-Xms32m",
                                   "-Xmx256m",
                                   "-XX:+UseSerialGC",
                                   "-XX:TieredStopAtLevel=1",
                                   "-Djava.net.preferIPv4Stack=true",
                                   "-Dzookeeper.jmx.log4j.disable=true",
                                   "-cp",
                                   ClassPath(),
                                   ensemble ? "org.apache.zookeeper.server.quorum.QuorumPeerMain"
                                            : "org.apache.zookeeper.server.ZooKeeperServerMain",
                                   n.dir + "/zoo.cfg"};
  n.pid = StartServerProcess(argv, n.dir + "/server.log");
  return n.pid > 0;
}

std::string ZooKeeperServer::addr(int i) const {
  return "127.0.0.1:" + std::to_string(nodes_[i].client_port);
}

std::vector<std::string> ZooKeeperServer::addrs() const {
  std::vector<std::string> out;
  for (int i = 0; i < size(); ++i) out.push_back(addr(i));
  return out;
}

std::string ZooKeeperServer::connect_string() const {
  std::string out;
  for (int i = 0; i < size(); ++i) out += (i == 0 ? "" : ",") + addr(i);
  return out;
}

void ZooKeeperServer::Stop(int i) { StopServerProcess(&nodes_[i].pid, std::chrono::seconds(10)); }

void ZooKeeperServer::Kill(int i) { KillServerProcess(&nodes_[i].pid); }

void ZooKeeperServer::Pause(int i) { PauseServerProcess(&nodes_[i].pid); }

void ZooKeeperServer::Resume(int i) { ResumeServerProcess(nodes_[i].pid); }

bool ZooKeeperServer::Restart(int i, std::string* error, std::chrono::milliseconds timeout) {
  Stop(i);
  if (!Launch(i)) {
    *error = "cannot start java for ZooKeeper node " + std::to_string(i + 1);
    return false;
  }
  if (!WaitServing(i, timeout)) {
    *error = "ZooKeeper node " + std::to_string(i + 1) + " did not serve again; its log ends:\n" + LogTail(i);
    return false;
  }
  return true;
}

std::string ZooKeeperServer::Srvr(int i) const {
  return LoopbackExchange(nodes_[i].client_port, "srvr", std::chrono::seconds(1));
}

std::string ZooKeeperServer::Mode(int i) const {
  std::string answer = Srvr(i);
  size_t at = answer.find("Mode: ");
  if (at == std::string::npos) return "";
  size_t end = answer.find('\n', at);
  return answer.substr(at + 6, end == std::string::npos ? std::string::npos : end - at - 6);
}

int ZooKeeperServer::Leader() const {
  for (int i = 0; i < size(); ++i) {
    if (nodes_[i].pid > 0 && Mode(i) == "leader") return i;
  }
  return -1;
}

bool ZooKeeperServer::WaitServing(int i, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (ServerProcessExited(&nodes_[i].pid)) return false;  // a port taken?
    if (!Mode(i).empty()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

std::string ZooKeeperServer::LogTail(int i, size_t bytes) const {
  return FileTail(nodes_[i].dir + "/server.log", bytes);
}

}  // namespace testing
}  // namespace kreg
