#include "support/etcd_server.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "support/loopback.h"
#include "support/process.h"
#include "support/server_process.h"

namespace kreg {
namespace testing {

namespace {

constexpr const char* kEtcd = "/usr/bin/etcd";
constexpr const char* kEtcdctl = "/usr/bin/etcdctl";

std::string Url(int port) { return "http://127.0.0.1:" + std::to_string(port); }

std::string Millis(std::chrono::milliseconds d) { return std::to_string(d.count()) + "ms"; }

// An id field (uint64, which the gateway writes as a JSON string) of a
// reply; "" when missing, and when zero, which the gateway leaves out.
std::string IdField(const nlohmann::json& reply, const char* name) {
  if (!reply.is_object() || !reply.contains(name) || !reply[name].is_string()) return "";
  return reply[name] == "0" ? "" : reply[name].get<std::string>();
}

nlohmann::json Status(const EtcdServer& etcd, int i) {
  return nlohmann::json::parse(etcd.Post(i, "/v3/maintenance/status", "{}"), nullptr, false);
}

}  // namespace

std::unique_ptr<EtcdServer> EtcdServer::Start(int members, std::string* error, Options options) {
  if (members != 1 && members != 3) {
    *error = "EtcdServer starts 1 or 3 members, not " + std::to_string(members);
    return nullptr;
  }
  for (const char* program : {kEtcd, kEtcdctl}) {
    if (access(program, X_OK) != 0) {
      *error = std::string(program) + " is missing: scripts/install-deps installs it (Debian's etcd-server, etcd-client)";
      return nullptr;
    }
  }
  // A free port may be taken by someone else before etcd binds it: a
  // member that dies at once gets a fresh set of ports and another try.
  for (int attempt = 1;; ++attempt) {
    std::unique_ptr<EtcdServer> etcd(new EtcdServer(options));
    if (etcd->TryStart(members, error)) return etcd;
    if (attempt == 3) return nullptr;
  }
}

bool EtcdServer::TryStart(int members, std::string* error) {
  const bool tls = !options_.tls_cert_file.empty();
  const int per_member = tls ? 3 : 2;
  std::vector<int> ports = FreeLoopbackPorts(members * per_member);
  if (static_cast<int>(ports.size()) != members * per_member) {
    *error = "could not find free loopback ports";
    return false;
  }
  members_.resize(members);
  for (int i = 0; i < members; ++i) {
    Member& m = members_[i];
    m.name = "m" + std::to_string(i + 1);
    m.client_port = ports[i * per_member];
    m.peer_port = ports[i * per_member + 1];
    if (tls) m.tls_port = ports[i * per_member + 2];
    m.dir = temp_.Join(m.name);
    std::filesystem::create_directories(m.dir);
  }
  for (int i = 0; i < members; ++i) {
    if (!Launch(i)) {
      *error = std::string("cannot start ") + kEtcd + " for member " + members_[i].name;
      return false;
    }
  }
  // A member of a cluster serves only once a leader is elected, which
  // needs a quorum of them up: each waits in turn while all start.
  for (int i = 0; i < members; ++i) {
    if (!WaitServing(i, options_.timeout)) {
      *error = "etcd member " + members_[i].name + NotServing(i) + "; its log ends:\n" + LogTail(i);
      return false;
    }
  }
  return true;
}

EtcdServer::~EtcdServer() {
  for (int i = 0; i < size(); ++i) Kill(i);
}

std::string EtcdServer::NotServing(int i) const {
  if (!running(i)) return " exited";
  return " did not serve within " + std::to_string(options_.timeout.count()) + "ms";
}

std::string EtcdServer::InitialCluster() const {
  std::string out;
  for (const Member& m : members_) out += (out.empty() ? "" : ",") + m.name + "=" + Url(m.peer_port);
  return out;
}

bool EtcdServer::Launch(int i) {
  Member& m = members_[i];
  // On a restart the data dir already holds the member, and etcd ignores
  // the --initial-cluster* flags.
  std::vector<std::string> argv = {
      kEtcd,
      "--name=" + m.name,
      "--data-dir=" + m.dir + "/data",
      "--listen-client-urls=" + Url(m.client_port) +
          (m.tls_port != 0 ? ",https://127.0.0.1:" + std::to_string(m.tls_port) : ""),
      "--advertise-client-urls=" + Url(m.client_port),
      "--listen-peer-urls=" + Url(m.peer_port),
      "--initial-advertise-peer-urls=" + Url(m.peer_port),
      "--initial-cluster=" + InitialCluster(),
      "--initial-cluster-state=new",
      "--initial-cluster-token=kreg-test",
      "--heartbeat-interval=" + std::to_string(options_.heartbeat.count()),
      "--election-timeout=" + std::to_string(options_.election.count()),
      "--experimental-watch-progress-notify-interval=" + Millis(options_.progress_notify),
      "--auto-compaction-retention=0",
      // zap to stderr, which goes to etcd.log: the default logger
      // (capnslog) cannot write to a file in 3.4.
      "--logger=zap",
      "--log-outputs=stderr",
      "--log-level=" + options_.log_level};
  if (m.tls_port != 0) {
    argv.push_back("--cert-file=" + options_.tls_cert_file);
    argv.push_back("--key-file=" + options_.tls_key_file);
    if (!options_.tls_client_ca_file.empty()) {
      argv.push_back("--client-cert-auth");
      argv.push_back("--trusted-ca-file=" + options_.tls_client_ca_file);
    }
  }
  argv.insert(argv.end(), options_.extra_flags.begin(), options_.extra_flags.end());
  m.pid = StartServerProcess(argv, m.dir + "/etcd.log");
  return m.pid > 0;
}

std::string EtcdServer::addr(int i) const {
  return "127.0.0.1:" + std::to_string(members_[i].client_port);
}

std::string EtcdServer::tls_addr(int i) const {
  return "127.0.0.1:" + std::to_string(members_[i].tls_port);
}

std::vector<std::string> EtcdServer::addrs() const {
  std::vector<std::string> out;
  for (int i = 0; i < size(); ++i) out.push_back(addr(i));
  return out;
}

std::string EtcdServer::endpoints(const std::vector<int>& members) const {
  std::string out;
  for (int i = 0; i < size(); ++i) {
    if (members.empty() || std::find(members.begin(), members.end(), i) != members.end()) {
      out += (out.empty() ? "" : ",") + Url(members_[i].client_port);
    }
  }
  return out;
}

void EtcdServer::Stop(int i) { StopServerProcess(&members_[i].pid, std::chrono::seconds(10)); }

void EtcdServer::Kill(int i) { KillServerProcess(&members_[i].pid); }

void EtcdServer::Pause(int i) { PauseServerProcess(&members_[i].pid); }

void EtcdServer::Resume(int i) { ResumeServerProcess(members_[i].pid); }

bool EtcdServer::Restart(int i, std::string* error) {
  Stop(i);
  if (!Launch(i)) {
    *error = std::string("cannot start ") + kEtcd + " for member " + members_[i].name;
    return false;
  }
  if (!WaitServing(i, options_.timeout)) {
    *error = "etcd member " + members_[i].name + " restarted" + NotServing(i) + "; its log ends:\n" + LogTail(i);
    return false;
  }
  return true;
}

std::string EtcdServer::Post(int i, const std::string& path, const std::string& json,
                             std::chrono::milliseconds timeout) const {
  // HTTP/1.0, so the gateway answers with the whole body and closes the
  // connection: no chunked encoding to undo, no keep-alive to end.
  std::string request = "POST " + path + " HTTP/1.0\r\nHost: " + addr(i) +
                        "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(json.size()) +
                        "\r\n\r\n" + json;
  std::string answer = LoopbackExchange(members_[i].client_port, request, timeout);
  size_t body = answer.find("\r\n\r\n");
  return body == std::string::npos ? "" : answer.substr(body + 4);
}

bool EtcdServer::Serving(int i) const {
  // Status needs no auth, unlike a read, so a member serves for the
  // fixture after a test enabled auth too.
  return !IdField(Status(*this, i), "leader").empty();
}

int EtcdServer::Leader() const {
  for (int i = 0; i < size(); ++i) {
    if (members_[i].pid <= 0) continue;
    nlohmann::json status = Status(*this, i);
    std::string leader = IdField(status, "leader");
    if (!leader.empty() && status.contains("header") && leader == IdField(status["header"], "member_id")) return i;
  }
  return -1;
}

bool EtcdServer::AnswersAsItself(int i) const {
  // The member that answers is the one whose peer URL is i's: a member of
  // another cluster has other peer ports.
  nlohmann::json list = nlohmann::json::parse(Post(i, "/v3/cluster/member/list", "{}"), nullptr, false);
  if (!list.is_object() || !list.contains("header") || !list.contains("members")) return false;
  const std::string self = IdField(list["header"], "member_id");
  for (const nlohmann::json& member : list["members"]) {
    if (self.empty() || IdField(member, "ID") != self) continue;
    const nlohmann::json urls = member.value("peerURLs", nlohmann::json::array());
    return std::find(urls.begin(), urls.end(), Url(members_[i].peer_port)) != urls.end();
  }
  return false;
}

bool EtcdServer::WaitServing(int i, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (ServerProcessExited(&members_[i].pid)) return false;  // a port taken?
    if (Serving(i) && AnswersAsItself(i)) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

int EtcdServer::Etcdctl(const std::vector<std::string>& args, std::string* out,
                        const std::vector<int>& members) const {
  std::vector<std::string> argv = {kEtcdctl, "--endpoints=" + endpoints(members)};
  argv.insert(argv.end(), args.begin(), args.end());
  RunResult result = RunProcess(argv, temp_.path(), {{"ETCDCTL_API", "3"}}, std::chrono::seconds(30));
  *out = result.out + result.err;
  return result.exit_code;
}

std::string EtcdServer::LogTail(int i, size_t bytes) const { return FileTail(members_[i].dir + "/etcd.log", bytes); }

}  // namespace testing
}  // namespace kreg
