#include "session.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "completion.h"
#include "status.h"

namespace kreg {
namespace zk {

namespace {

char kAuthScheme[] = "auth";
char kAuthId[] = "";
char kWorldScheme[] = "world";
char kWorldId[] = "anyone";

constexpr int kServerResolutionDelayMs = 1000;

}  // namespace

Session::Session(const Options& options, plugin::Logger log) : options_(options), log_(log) {
  auth_acl_entries_[0] = ACL{ZOO_PERM_ALL, Id{kAuthScheme, kAuthId}};
  auth_acl_entries_[1] = ACL{ZOO_PERM_READ, Id{kWorldScheme, kWorldId}};
  auth_acl_.count = options_.read_acl == ReadAcl::kWorld ? 2 : 1;
  auth_acl_.data = auth_acl_entries_;
  acl_ = options_.username.empty() ? &ZOO_OPEN_ACL_UNSAFE : &auth_acl_;
}

Status Session::Open(const Options& options, plugin::Logger log, std::unique_ptr<Session>* out) {
  std::unique_ptr<Session> s(new Session(options, log));
  zhandle_t* zh = nullptr;
  Status st = s->Connect(Deadline::After(options.timeout), &zh, &s->client_log_);
  if (!st.ok()) return st;
  s->zh_ = zh;
  s->current_.store(zh);
  s->connected_ = true;
  s->RememberSession(zh);
  s->renewer_ = std::thread([p = s.get()] { p->Renew(); });
  *out = std::move(s);
  return Status::OK();
}

Session::~Session() {
  {
    std::lock_guard<std::mutex> lock(state_mu_);
    stopping_ = true;
    cancelled_.store(true);
  }
  state_cv_.notify_all();
  if (renewer_.joinable()) renewer_.join();
  zhandle_t* zh;
  {
    std::unique_lock<std::shared_mutex> lock(handle_mu_);
    zh = zh_;
    zh_ = nullptr;
    current_.store(nullptr);
  }
  if (zh != nullptr) zookeeper_close(zh);
  client_log_.reset();
}

Status Session::Connect(const Deadline& deadline, zhandle_t** out, std::unique_ptr<ClientLog>* log) {
  auto client_log = std::make_unique<ClientLog>(log_, options_.password);
  zhandle_t* zh = zookeeper_init2(options_.hosts.c_str(), &Session::OnWatch,
                                  static_cast<int>(options_.session_timeout.count()), nullptr, this, 0,
                                  client_log->callback());
  if (zh == nullptr) {
    return Status::Unavailable("cannot start a ZooKeeper client for " + options_.hosts + ": " +
                               std::strerror(errno));
  }
  auto fail = [&](Status s) {
    zookeeper_close(zh);
    return s;
  };
  // By default the client resolves the server list again on every turn of its
  // I/O loop, a getaddrinfo (tens of microseconds, a netlink query) in front of
  // every request and every notification; once a second still follows DNS.
  zoo_set_servers_resolution_delay(zh, kServerResolutionDelayMs);
  // Queued now, the credentials go out with the connection.
  std::shared_ptr<PendingCall> auth;
  if (!options_.username.empty()) {
    auth = PendingCall::Make(1);
    std::string cert = options_.username + ":" + options_.password;
    const void* ctx = auth->Context(0);
    int rc = zoo_add_auth(zh, "digest", cert.data(), static_cast<int>(cert.size()), &VoidDone, ctx);
    if (rc != ZOK) {
      DeleteContext(ctx);
      return fail(Status::PermissionDenied("zookeeper digest authentication as \"" + options_.username +
                                           "\" could not be sent: " + ZkErrorText(rc)));
    }
  }
  for (;;) {
    int state = zoo_state(zh);
    if (state == ZOO_CONNECTED_STATE) break;
    if (state == ZOO_AUTH_FAILED_STATE) {
      return fail(Status::PermissionDenied("zookeeper at " + options_.hosts + " refused the credentials of \"" +
                                           options_.username + "\""));
    }
    if (state == ZOO_EXPIRED_SESSION_STATE) {
      return fail(Status::Unavailable("zookeeper at " + options_.hosts + " expired the new session at once"));
    }
    if (deadline.passed()) {
      return fail(Status::Unavailable("cannot connect to zookeeper at " + options_.hosts + " within " +
                                      std::to_string(options_.timeout.count()) +
                                      "ms (is the ensemble up? raise timeout?)"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (auth != nullptr) {
    Reply r = auth->Await(deadline)[0];
    if (r.rc != ZOK) {
      return fail(Status::PermissionDenied("zookeeper digest authentication as \"" + options_.username +
                                           "\" failed: " + ZkErrorText(r.rc)));
    }
  }
  log_.Info("zookeeper: connected to " + options_.hosts + ", session " + Hex(zoo_client_id(zh)->client_id) +
            ", timeout " + std::to_string(zoo_recv_timeout(zh)) + "ms");
  *out = zh;
  *log = std::move(client_log);
  return Status::OK();
}

void Session::OnWatch(zhandle_t* zh, int type, int state, const char* path, void* ctx) {
  Session* self = static_cast<Session*>(ctx);
  // Events of a handle being built or being replaced are not ours to act on.
  if (self == nullptr || zh != self->current_.load()) return;
  if (type == ZOO_SESSION_EVENT) {
    bool expired = false;
    {
      std::lock_guard<std::mutex> lock(self->state_mu_);
      self->connected_ = state == ZOO_CONNECTED_STATE;
      if (!self->connected_) self->connection_epoch_.fetch_add(1);
      if (state == ZOO_EXPIRED_SESSION_STATE) expired = self->expired_ = true;
    }
    self->state_cv_.notify_all();
    // One line per change of state: the client's own lines about each
    // attempt are debug (log_bridge.h).
    if (expired) {
      self->log_.Warn("zookeeper: session expired; making a new one");
    } else if (state == ZOO_CONNECTED_STATE) {
      self->log_.Info("zookeeper: connected to " + self->options_.hosts + " again");
    } else {
      self->log_.Warn("zookeeper: lost the connection to " + self->options_.hosts +
                      "; reconnecting (operations wait for it up to their timeout)");
    }
    return;
  }
  if (path == nullptr || type == ZOO_NOTWATCHING_EVENT) return;
  std::string p(path);
  std::lock_guard<std::mutex> lock(self->listeners_mu_);
  for (SessionListener* l : self->listeners_) l->OnNodeEvent(type, p);
}

void Session::Renew() {
  int failures = 0;  // of the current renewal: only the first is a warning
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(state_mu_);
      state_cv_.wait(lock, [this] { return expired_ || stopping_; });
      if (stopping_) return;
    }
    zhandle_t* zh = nullptr;
    std::unique_ptr<ClientLog> client_log;
    Status s = Connect(Deadline::After(options_.timeout, &cancelled_), &zh, &client_log);
    if (!s.ok()) {
      log_.Log(failures++ == 0 ? KREG_LOG_WARN : KREG_LOG_DEBUG, "zookeeper: no new session yet: " + s.message());
      std::unique_lock<std::mutex> lock(state_mu_);
      state_cv_.wait_for(lock, std::chrono::milliseconds(200), [this] { return stopping_; });
      continue;
    }
    failures = 0;
    {
      std::lock_guard<std::mutex> lock(state_mu_);
      expired_ = false;  // before the swap, so an expiry of the new handle is not lost
    }
    RememberSession(zh);
    zhandle_t* old;
    std::unique_ptr<ClientLog> old_log;
    {
      std::unique_lock<std::shared_mutex> lock(handle_mu_);
      old = zh_;
      zh_ = zh;
      old_log = std::move(client_log_);
      client_log_ = std::move(client_log);
      current_.store(zh);
    }
    {
      std::lock_guard<std::mutex> lock(state_mu_);
      connected_ = zoo_state(zh) == ZOO_CONNECTED_STATE;
      connection_epoch_.fetch_add(1);
    }
    state_cv_.notify_all();
    zookeeper_close(old);
    old_log.reset();
    std::lock_guard<std::mutex> lock(listeners_mu_);
    for (SessionListener* l : listeners_) l->OnNewSession();
  }
}

void Session::Subscribe(SessionListener* listener) {
  std::lock_guard<std::mutex> lock(listeners_mu_);
  listeners_.insert(listener);
}

void Session::Unsubscribe(SessionListener* listener) {
  std::lock_guard<std::mutex> lock(listeners_mu_);
  listeners_.erase(listener);
}

int64_t Session::session_id() {
  std::shared_lock<std::shared_mutex> lock(handle_mu_);
  return zh_ == nullptr ? 0 : zoo_client_id(zh_)->client_id;
}

bool Session::IsOwnSession(int64_t owner) {
  std::lock_guard<std::mutex> lock(state_mu_);
  return owner != 0 && std::find(own_sessions_.begin(), own_sessions_.end(), owner) != own_sessions_.end();
}

void Session::RememberSession(zhandle_t* zh) {
  int64_t id = zoo_client_id(zh)->client_id;
  std::lock_guard<std::mutex> lock(state_mu_);
  own_sessions_.push_back(id);
}

bool Session::WaitConnected(const Deadline& deadline) {
  std::unique_lock<std::mutex> lock(state_mu_);
  while (!connected_ && !stopping_ && !deadline.passed()) {
    state_cv_.wait_for(lock, std::chrono::milliseconds(50));
  }
  return connected_;
}

bool Session::connected() {
  std::lock_guard<std::mutex> lock(state_mu_);
  return connected_;
}

int Session::Issue(const std::function<int(zhandle_t* zh)>& issue) {
  std::shared_lock<std::shared_mutex> lock(handle_mu_);
  return zh_ == nullptr ? ZCLOSING : issue(zh_);
}

}  // namespace zk
}  // namespace kreg
