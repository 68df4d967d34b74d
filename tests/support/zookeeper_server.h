// ZooKeeperServer: a real ZooKeeper for tests, from Debian's `zookeeper`
// package -- one standalone node, or an ensemble of 3 -- on free loopback
// ports, in a temp dir that is removed afterwards.
//
// Every JVM is started with PR_SET_PDEATHSIG, and killed and reaped by the
// destructor, so no server outlives the test, even one that crashes. Start
// and Restart nodes from the test's main thread: the death signal is tied to
// the thread that forked.
//
// tickTime is 500 ms, so the server grants sessions from 1 s to 60 s.
#ifndef KREG_TESTS_SUPPORT_ZOOKEEPER_SERVER_H_
#define KREG_TESTS_SUPPORT_ZOOKEEPER_SERVER_H_

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "support/temp_dir.h"

namespace kreg {
namespace testing {

class ZooKeeperServer {
 public:
  // Starts `nodes` (1: standalone; 3: an ensemble) and waits until every
  // node answers `srvr` with a Mode; tries again on fresh ports (3 times in
  // all) when a node fails. On failure returns null and sets *error (with
  // the tail of the server log).
  static std::unique_ptr<ZooKeeperServer> Start(int nodes, std::string* error,
                                                std::chrono::milliseconds timeout = std::chrono::seconds(90));
  ~ZooKeeperServer();  // kills every node
  ZooKeeperServer(const ZooKeeperServer&) = delete;
  ZooKeeperServer& operator=(const ZooKeeperServer&) = delete;

  int size() const { return static_cast<int>(nodes_.size()); }
  // "127.0.0.1:<client port>" of node i, and of all nodes.
  std::string addr(int i) const;
  std::vector<std::string> addrs() const;
  std::string connect_string() const;  // "a,b,c" as zookeeper_init takes it

  // SIGTERM, then SIGKILL after 10 s; reaped.
  void Stop(int i);
  // SIGKILL; reaped.
  void Kill(int i);
  // SIGSTOP / SIGCONT: the node keeps its sockets but answers nothing.
  void Pause(int i);
  void Resume(int i);
  // Starts a stopped or killed node again with the same data dir and
  // ports, and waits until it serves. False (and *error) when it does not.
  bool Restart(int i, std::string* error, std::chrono::milliseconds timeout = std::chrono::seconds(90));
  bool running(int i) const { return nodes_[i].pid > 0; }

  // The answer to the four-letter word `srvr`, or "" when none came
  // within a second.
  std::string Srvr(int i) const;
  // "standalone", "leader", "follower", or "" when not serving.
  std::string Mode(int i) const;
  // Index of the node that is leader, or -1.
  int Leader() const;
  // Polls until node i serves (answers with a Mode); false at once when
  // its JVM has exited.
  bool WaitServing(int i, std::chrono::milliseconds timeout);

  std::string LogTail(int i, size_t bytes = 4000) const;

 private:
  struct Node {
    int client_port = 0;
    int quorum_port = 0;
    int election_port = 0;
    std::string dir;  // holds zoo.cfg, data/ and the log
    pid_t pid = -1;
  };

  ZooKeeperServer() = default;
  bool TryStart(int nodes, std::string* error, std::chrono::milliseconds timeout);
  bool Launch(int i);

  TempDir temp_;
  std::vector<Node> nodes_;
};

}  // namespace testing
}  // namespace kreg

#endif  // KREG_TESTS_SUPPORT_ZOOKEEPER_SERVER_H_
