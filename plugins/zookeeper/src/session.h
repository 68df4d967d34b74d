// Session: one ZooKeeper session that survives expiry.
//
// Owns the C client handle. Operations are issued asynchronously and
// awaited up to a deadline, and are retried on connection loss, server
// timeouts and session expiry until that deadline; the last code is then
// returned (see status.h for the mapping). When the server expires the
// session, a background thread closes the dead handle, makes a new one,
// authenticates it, and only then swaps it in and tells every listener
// (OnNewSession): every watch and every ephemeral node of the old session is
// gone. A mere reconnect within the session changes nothing: the client
// library re-sends the session's watches itself.
//
// Every watch set through this class uses the handle's default watcher; its
// notifications are fanned out to all listeners.
//
// Thread safety: all methods may be called from any thread. Listener
// callbacks run on client threads, must be short and must not call back
// into the Session.
#ifndef KREG_PLUGINS_ZOOKEEPER_SESSION_H_
#define KREG_PLUGINS_ZOOKEEPER_SESSION_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include <zookeeper/zookeeper.h>

#include "kreg/plugin.hpp"
#include "kreg/status.hpp"
#include "log_bridge.h"
#include "options.h"

namespace kreg {
namespace zk {

using Clock = std::chrono::steady_clock;

// When an operation gives up: at `at`, or as soon as *cancelled is true.
struct Deadline {
  Clock::time_point at;
  const std::atomic<bool>* cancelled = nullptr;

  static Deadline After(std::chrono::milliseconds d, const std::atomic<bool>* cancelled = nullptr) {
    return Deadline{Clock::now() + d, cancelled};
  }
  bool passed() const {
    return Clock::now() >= at || (cancelled != nullptr && cancelled->load());
  }
};

// One entry of a node's ACL: `perms` (ZOO_PERM_* bits) for scheme:id.
struct AclEntry {
  int perms = 0;
  std::string scheme;
  std::string id;
};

// What a request returned. `stat` is set for every successful call but
// create, delete and set-ACL; `acl` by GetAcl only.
struct Reply {
  int rc = ZOK;
  std::string data;
  std::vector<std::string> children;
  std::vector<AclEntry> acl;
  Stat stat{};
};

class SessionListener {
 public:
  virtual ~SessionListener() = default;
  // A watch fired on `path`; `type` is ZOO_CREATED_EVENT etc.
  virtual void OnNodeEvent(int type, const std::string& path) = 0;
  // A new session replaced an expired one.
  virtual void OnNewSession() = 0;
};

class Session {
 public:
  // Connects, authenticates (digest, when options.username is set) and
  // waits for the session up to options.timeout; UNAVAILABLE otherwise.
  static Status Open(const Options& options, plugin::Logger log, std::unique_ptr<Session>* out);
  ~Session();  // closes the session: its ephemeral nodes go at once
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Listeners are called until Unsubscribe returns.
  void Subscribe(SessionListener* listener);
  void Unsubscribe(SessionListener* listener);

  // The current session id (ephemeralOwner of the nodes it creates).
  int64_t session_id();
  // True when `owner` (an ephemeralOwner) is the current session or one
  // this Session had before and lost to expiry: a node it owns is ours.
  bool IsOwnSession(int64_t owner);

  // Blocks until connected, or until `deadline`; true when connected.
  bool WaitConnected(const Deadline& deadline);
  bool connected();

  // Counts the connection losses and session replacements so far. The
  // client re-sends a session's watches after a reconnect, but what it
  // reads in the meantime may precede the notifications those re-sent
  // watches bring: a cache filled while this value was n must be read
  // again once it has moved on.
  uint64_t connection_epoch() const { return connection_epoch_.load(); }

  Reply Get(const std::string& path, bool watch, const Deadline& deadline);
  // Many reads at once: the requests are pipelined, so n reads cost about
  // one round trip instead of n. Replies are in the order of `reads`.
  enum class ReadOp { kGet, kGetChildren, kExists };
  struct Read {
    ReadOp op;
    std::string path;
  };
  std::vector<Reply> ReadMany(const std::vector<Read>& reads, bool watch, const Deadline& deadline);
  std::vector<Reply> GetMany(const std::vector<std::string>& paths, bool watch, const Deadline& deadline);
  Reply GetChildren(const std::string& path, bool watch, const Deadline& deadline);
  Reply Exists(const std::string& path, bool watch, const Deadline& deadline);
  // `flags`: ZOO_EPHEMERAL or 0 (persistent). The node gets the plugin's
  // ACL: with a username only this identity may write it (digest), and
  // reads are open unless read_acl is "creator"; without one it is open.
  Reply Create(const std::string& path, const std::string& data, int flags, const Deadline& deadline);
  // Creates every node of `nodes` (path, data) with `flags` in one
  // multi-operation: all or none. ZOK when all were created; otherwise the
  // code of the first operation that failed, or of the request. Not retried:
  // a caller falls back to single creates.
  int CreateAll(const std::vector<std::pair<std::string, std::string>>& nodes, int flags, const Deadline& deadline);
  Reply Set(const std::string& path, const std::string& data, int version, const Deadline& deadline);
  Reply Delete(const std::string& path, int version, const Deadline& deadline);
  Reply GetAcl(const std::string& path, const Deadline& deadline);
  // Gives `path` the plugin's ACL (the one Create gives), if its ACL
  // version (Stat.aversion) is still `aversion`.
  Reply SetOwnAcl(const std::string& path, int aversion, const Deadline& deadline);
  // Deletes every node of `paths` (any version), pipelined as ReadMany
  // is. Replies are in the order of `paths`.
  std::vector<Reply> DeleteMany(const std::vector<std::string>& paths, const Deadline& deadline);

 private:
  // Issues a request on handle `zh` with completion context `ctx`; returns
  // the client's immediate code.
  using Issue = std::function<int(zhandle_t* zh, const void* ctx)>;

  Session(const Options& options, plugin::Logger log);
  // Makes a connected, authenticated handle, or fails at `deadline`.
  Status Connect(const Deadline& deadline, zhandle_t** out, std::unique_ptr<ClientLog>* log);
  Reply Call(const Issue& issue, const Deadline& deadline);
  // Issues request i of n (issue(i, zh, ctx)) all at once, awaits them
  // together, then retries each retryable failure on its own as Call does.
  using IssueNth = std::function<int(size_t i, zhandle_t* zh, const void* ctx)>;
  std::vector<Reply> CallMany(size_t n, const IssueNth& issue, const Deadline& deadline);
  void RememberSession(zhandle_t* zh);  // adds its id to own_sessions_
  static int IssueRead(zhandle_t* zh, const Read& read, bool watch, const void* ctx);
  Reply ReadOne(const Read& read, bool watch, const Deadline& deadline);
  void Renew();  // the session thread
  static void OnWatch(zhandle_t* zh, int type, int state, const char* path, void* ctx);

  const Options options_;
  const plugin::Logger log_;
  const ACL_vector* acl_;
  ACL_vector auth_acl_;
  ACL auth_acl_entries_[2];

  // The handle may only be used with handle_mu_ held (shared); swapping
  // and closing it takes it exclusively.
  std::shared_mutex handle_mu_;
  zhandle_t* zh_ = nullptr;
  std::unique_ptr<ClientLog> client_log_;
  std::atomic<zhandle_t*> current_{nullptr};  // compared in OnWatch, never dereferenced

  std::mutex state_mu_;
  std::condition_variable state_cv_;
  bool connected_ = false;
  bool expired_ = false;
  bool stopping_ = false;
  std::atomic<bool> cancelled_{false};  // aborts a Connect in progress at shutdown
  std::atomic<uint64_t> connection_epoch_{0};
  std::vector<int64_t> own_sessions_;  // every session id this Session had; guarded by state_mu_

  std::mutex listeners_mu_;
  std::set<SessionListener*> listeners_;

  std::thread renewer_;
};

}  // namespace zk
}  // namespace kreg

#endif  // KREG_PLUGINS_ZOOKEEPER_SESSION_H_
