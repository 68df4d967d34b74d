// EtcdServer: a real etcd for tests, Debian's `etcd-server` (3.4) -- one
// member, or a cluster of 3 -- on free loopback ports (a client and a peer
// port per member), in a temp dir that is removed afterwards.
//
// Every member is started with PR_SET_PDEATHSIG, and killed and reaped by
// the destructor, so no etcd outlives the test, even one that crashes.
// Start and Restart members from the test's main thread: the death signal
// is tied to the thread that forked.
//
// "Serves" means the member answers a v3 call through its JSON gateway
// (/v3/maintenance/status) and knows a leader. etcd opens its client port
// only once the member has joined the cluster, and a member without a
// leader serves no read or write; the call needs no auth, so a member
// still serves for the fixture after a test enabled auth.
#ifndef KREG_TESTS_SUPPORT_ETCD_SERVER_H_
#define KREG_TESTS_SUPPORT_ETCD_SERVER_H_

#include <gtest/gtest.h>
#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "support/temp_dir.h"

namespace kreg {
namespace testing {

// Outside the class: a nested struct's member initializers cannot serve a
// default argument of the enclosing class.
struct EtcdServerOptions {
  // Raft timing, small so that a cluster elects a new leader within about
  // a second (etcd wants election >= 5 heartbeats).
  std::chrono::milliseconds heartbeat{50};
  std::chrono::milliseconds election{500};
  // --experimental-watch-progress-notify-interval (etcd's default is
  // 10 min): how soon a quiet watch hears the store's revision.
  std::chrono::milliseconds progress_notify{1000};
  // --log-level of the member's log (member dir/etcd.log).
  std::string log_level = "warn";
  // More flags for every member, e.g. "--auth-token-ttl=1".
  std::vector<std::string> extra_flags;
  // How long each member has to serve, at Start and at Restart.
  std::chrono::milliseconds timeout{30000};
  // With a certificate and its key (PEM files, both or neither), each
  // member also serves clients over TLS on a port of its own (tls_addr);
  // with a CA too, that port takes only clients whose certificate the CA
  // signed. The plain port stays, for the fixture and etcdctl. etcd's
  // gateway calls its own TLS port with the member's certificate, so under
  // client-certificate auth that certificate must be good for client auth
  // as well.
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_client_ca_file;
};

class EtcdServer {
 public:
  using Options = EtcdServerOptions;

  // Starts `members` (1 or 3) with auto-compaction off and waits until
  // every one serves; tries again on fresh ports (3 times in all) when a
  // member fails. On failure returns null and sets *error (with the tail
  // of the member's log).
  static std::unique_ptr<EtcdServer> Start(int members, std::string* error, Options options = {});
  ~EtcdServer();  // kills every member
  EtcdServer(const EtcdServer&) = delete;
  EtcdServer& operator=(const EtcdServer&) = delete;

  int size() const { return static_cast<int>(members_.size()); }
  // "127.0.0.1:<client port>" of member i, and of all members.
  std::string addr(int i) const;
  std::vector<std::string> addrs() const;
  // "127.0.0.1:<TLS client port>" of member i; only with
  // Options::tls_cert_file.
  std::string tls_addr(int i) const;
  // "http://127.0.0.1:p1,http://127.0.0.1:p2,..." as etcdctl --endpoints
  // takes it: of `members`, or of all when none are named.
  std::string endpoints(const std::vector<int>& members = {}) const;
  // Member i's directory: its data dir data/ and its log etcd.log.
  std::string dir(int i) const { return members_[i].dir; }

  // SIGTERM, then SIGKILL after 10 s; reaped.
  void Stop(int i);
  // SIGKILL; reaped.
  void Kill(int i);
  // SIGSTOP / SIGCONT: the member keeps its sockets but answers nothing.
  // Pause returns once every thread of it has stopped.
  void Pause(int i);
  void Resume(int i);
  // Starts a stopped or killed member again with the same data dir and
  // ports, and waits until it serves. False (and *error) when it does not.
  bool Restart(int i, std::string* error);
  bool running(int i) const { return members_[i].pid > 0; }

  // POSTs `json` to `path` (a unary call: "/v3/kv/range") on member i's
  // gateway and returns the answer's body -- the reply, or etcd's
  // {"error":...,"code":N} -- or "" when no answer came within `timeout`.
  std::string Post(int i, const std::string& path, const std::string& json,
                   std::chrono::milliseconds timeout = std::chrono::seconds(1)) const;
  // Whether member i answers its status, naming a leader.
  bool Serving(int i) const;
  // Index of the member that is leader (by its own status), or -1.
  int Leader() const;
  // Polls until member i serves; false at once when it has exited. While
  // member i fails to bind its client port (taken between the fixture's
  // pick and etcd's bind), another test's etcd may answer there: it does
  // not count.
  bool WaitServing(int i, std::chrono::milliseconds timeout);

  // Runs /usr/bin/etcdctl --endpoints=<endpoints()> <args> with
  // ETCDCTL_API=3, no shell; sets *out to its stdout and stderr and
  // returns its exit code (-1 when killed after 30 s). With `members` it
  // talks to those alone: a second --endpoints in `args` would not do,
  // etcdctl adds it to the first.
  int Etcdctl(const std::vector<std::string>& args, std::string* out, const std::vector<int>& members = {}) const;

  std::string LogTail(int i, size_t bytes = 4000) const;

 private:
  struct Member {
    std::string name;  // m1, m2, m3
    int client_port = 0;
    int peer_port = 0;
    int tls_port = 0;  // 0: no TLS
    std::string dir;
    pid_t pid = -1;
  };

  explicit EtcdServer(const Options& options) : options_(options) {}
  bool TryStart(int members, std::string* error);
  bool Launch(int i);
  std::string InitialCluster() const;
  // Whether the etcd answering on member i's client port is member i.
  bool AnswersAsItself(int i) const;
  // Why member i, just (re)started, does not serve: " exited" or " did not serve within ...".
  std::string NotServing(int i) const;

  Options options_;
  TempDir temp_;
  std::vector<Member> members_;
};

// Starts an etcd of `members` for the test or fails it (fatally).
#define KREG_START_ETCD(var, members)                               \
  std::string var##_error;                                          \
  std::unique_ptr<::kreg::testing::EtcdServer> var =                \
      ::kreg::testing::EtcdServer::Start(members, &var##_error);    \
  ASSERT_NE(var, nullptr) << var##_error

}  // namespace testing
}  // namespace kreg

#endif  // KREG_TESTS_SUPPORT_ETCD_SERVER_H_
