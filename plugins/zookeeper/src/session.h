// Session: one ZooKeeper session that survives expiry.
//
// Owns the C client handle. When the server expires the session, a
// background thread closes the dead handle, makes a new one, authenticates
// it, and only then swaps it in and tells every listener (OnNewSession):
// every watch and every ephemeral node of the old session is gone. A mere
// reconnect within the session changes nothing: the client library
// re-sends the session's watches itself. Requests go through Issue
// (requests.h makes them).
//
// Every watch set on the handle uses its default watcher; its
// notifications are fanned out to all listeners.
//
// Thread safety: all methods may be called from any thread. Listener
// callbacks run on client threads, must be short and must not wait for a
// reply.
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
#include "deadline.h"
#include "kreg/status.hpp"
#include "log_bridge.h"
#include "options.h"

namespace kreg {
namespace zk {

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

  // Calls `issue` with the current handle, under the lock that keeps the
  // handle from being closed meanwhile, and returns its code; ZCLOSING,
  // without calling it, once the Session is closing.
  int Issue(const std::function<int(zhandle_t* zh)>& issue);
  // The ACL of the nodes kreg creates: with a username only this identity
  // may write them (digest), and reads are open unless read_acl is
  // "creator"; without one they are open.
  const ACL_vector* node_acl() const { return acl_; }

 private:
  Session(const Options& options, plugin::Logger log);
  // Makes a connected, authenticated handle, or fails at `deadline`.
  Status Connect(const Deadline& deadline, zhandle_t** out, std::unique_ptr<ClientLog>* log);
  void RememberSession(zhandle_t* zh);  // adds its id to own_sessions_
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
