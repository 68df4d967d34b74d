#include "session.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "status.h"

namespace kreg {
namespace zk {

namespace {

// Requests awaited together: one, or a pipelined batch. Shared by the
// waiting caller and the client's completions (each owns a heap Slot
// naming its reply, freed when it runs), so a caller that gave up at its
// deadline leaves nothing dangling. The caller is woken once, when the
// last reply is in, not once per reply.
struct Pending {
  explicit Pending(size_t n) : replies(n), done(n, false), remaining(n) {}
  // Buffers the client writes into until the completion runs.
  std::shared_ptr<void> request_state;
  std::mutex mu;
  std::condition_variable cv;
  std::vector<Reply> replies;
  std::vector<bool> done;
  size_t remaining;
};

using PendingRef = std::shared_ptr<Pending>;

struct Slot {
  PendingRef pending;
  size_t index;
};

// The completion context for reply `index` of `pending`.
const void* NewSlot(const PendingRef& pending, size_t index) { return new Slot{pending, index}; }
void DeleteSlot(const void* ctx) { delete static_cast<const Slot*>(ctx); }

template <typename Fill>
void Complete(const void* ctx, int rc, Fill fill) {
  std::unique_ptr<const Slot> slot(static_cast<const Slot*>(ctx));
  Pending& p = *slot->pending;
  bool last;
  {
    std::lock_guard<std::mutex> lock(p.mu);
    Reply& reply = p.replies[slot->index];
    reply.rc = rc;
    if (rc == ZOK) fill(&reply);
    p.done[slot->index] = true;
    last = --p.remaining == 0;
  }
  if (last) p.cv.notify_all();
}

void DataDone(int rc, const char* value, int value_len, const Stat* stat, const void* ctx) {
  Complete(ctx, rc, [&](Reply* r) {
    if (value != nullptr && value_len > 0) r->data.assign(value, static_cast<size_t>(value_len));
    if (stat != nullptr) r->stat = *stat;
  });
}

void ChildrenDone(int rc, const String_vector* strings, const Stat* stat, const void* ctx) {
  Complete(ctx, rc, [&](Reply* r) {
    if (strings != nullptr) {
      r->children.reserve(static_cast<size_t>(strings->count));
      for (int32_t i = 0; i < strings->count; ++i) r->children.emplace_back(strings->data[i]);
    }
    if (stat != nullptr) r->stat = *stat;
  });
}

void StatDone(int rc, const Stat* stat, const void* ctx) {
  Complete(ctx, rc, [&](Reply* r) {
    if (stat != nullptr) r->stat = *stat;
  });
}

void AclDone(int rc, ACL_vector* acl, Stat* stat, const void* ctx) {
  Complete(ctx, rc, [&](Reply* r) {
    if (acl != nullptr) {
      for (int32_t i = 0; i < acl->count; ++i) {
        const ACL& a = acl->data[i];
        r->acl.push_back(AclEntry{a.perms, a.id.scheme, a.id.id});
      }
    }
    if (stat != nullptr) r->stat = *stat;
  });
}

void StringDone(int rc, const char*, const void* ctx) {
  Complete(ctx, rc, [](Reply*) {});
}

void VoidDone(int rc, const void* ctx) {
  Complete(ctx, rc, [](Reply*) {});
}

// Waits for every reply of `p` until `deadline`; the ones still missing
// then are kDeadlineExceeded. A request that could not be issued must have
// been counted off (Abandon) first.
std::vector<Reply> Await(Pending& p, const Deadline& deadline) {
  std::unique_lock<std::mutex> lock(p.mu);
  while (p.remaining != 0 && !deadline.passed()) p.cv.wait_for(lock, std::chrono::milliseconds(50));
  if (p.remaining == 0) return std::move(p.replies);  // no completion writes any more
  std::vector<Reply> replies(p.replies.size());
  for (size_t i = 0; i < replies.size(); ++i) {
    if (p.done[i]) {
      replies[i] = p.replies[i];
    } else {
      replies[i].rc = kDeadlineExceeded;
    }
  }
  return replies;
}

// Reply `index` of `p` will never complete: the client refused the request
// with `rc`.
void Abandon(Pending& p, size_t index, int rc) {
  std::lock_guard<std::mutex> lock(p.mu);
  p.replies[index].rc = rc;
  p.done[index] = true;
  --p.remaining;
}

// Sleeps `d`, or less if the deadline comes first.
void SleepUntilAtMost(std::chrono::milliseconds d, const Deadline& deadline) {
  auto until = std::min(Clock::now() + d, deadline.at);
  while (Clock::now() < until && !deadline.passed()) {
    std::this_thread::sleep_for(std::min<Clock::duration>(std::chrono::milliseconds(20), until - Clock::now()));
  }
}

char kAuthScheme[] = "auth";
char kAuthId[] = "";
char kWorldScheme[] = "world";
char kWorldId[] = "anyone";

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
  // Queued now, the credentials go out with the connection.
  PendingRef auth;
  if (!options_.username.empty()) {
    auth = std::make_shared<Pending>(1);
    std::string cert = options_.username + ":" + options_.password;
    const void* ctx = NewSlot(auth, 0);
    int rc = zoo_add_auth(zh, "digest", cert.data(), static_cast<int>(cert.size()), &VoidDone, ctx);
    if (rc != ZOK) {
      DeleteSlot(ctx);
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
    Reply r = Await(*auth, deadline)[0];
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

Reply Session::Call(const Issue& issue, const Deadline& deadline) {
  auto backoff = std::chrono::milliseconds(10);
  for (;;) {
    auto pending = std::make_shared<Pending>(1);
    {
      std::shared_lock<std::shared_mutex> lock(handle_mu_);
      const void* ctx = NewSlot(pending, 0);
      int rc = zh_ == nullptr ? ZCLOSING : issue(zh_, ctx);
      if (rc != ZOK) {
        DeleteSlot(ctx);  // the completion will not run
        Abandon(*pending, 0, rc);
      }
    }
    Reply reply = std::move(Await(*pending, deadline)[0]);
    if (!IsRetryable(reply.rc) || deadline.passed()) return reply;
    WaitConnected(deadline);
    SleepUntilAtMost(backoff, deadline);
    backoff = std::min(backoff * 2, std::chrono::milliseconds(250));
  }
}

Reply Session::Get(const std::string& path, bool watch, const Deadline& deadline) {
  return ReadOne(Read{ReadOp::kGet, path}, watch, deadline);
}

int Session::IssueRead(zhandle_t* zh, const Read& read, bool watch, const void* ctx) {
  switch (read.op) {
    case ReadOp::kGet:
      return zoo_aget(zh, read.path.c_str(), watch, &DataDone, ctx);
    case ReadOp::kGetChildren:
      return zoo_aget_children2(zh, read.path.c_str(), watch, &ChildrenDone, ctx);
    case ReadOp::kExists:
      return zoo_aexists(zh, read.path.c_str(), watch, &StatDone, ctx);
  }
  return ZBADARGUMENTS;
}

Reply Session::ReadOne(const Read& read, bool watch, const Deadline& deadline) {
  return Call([&](zhandle_t* zh, const void* ctx) { return IssueRead(zh, read, watch, ctx); }, deadline);
}

std::vector<Reply> Session::CallMany(size_t n, const IssueNth& issue, const Deadline& deadline) {
  auto pending = std::make_shared<Pending>(n);
  {
    std::shared_lock<std::shared_mutex> lock(handle_mu_);
    for (size_t i = 0; i < n; ++i) {
      const void* ctx = NewSlot(pending, i);
      int rc = zh_ == nullptr ? ZCLOSING : issue(i, zh_, ctx);
      if (rc != ZOK) {
        DeleteSlot(ctx);
        Abandon(*pending, i, rc);
      }
    }
  }
  std::vector<Reply> replies = Await(*pending, deadline);
  for (size_t i = 0; i < n; ++i) {
    // A failure the single request would retry is retried the same way.
    if (IsRetryable(replies[i].rc) && !deadline.passed()) {
      replies[i] = Call([&](zhandle_t* zh, const void* ctx) { return issue(i, zh, ctx); }, deadline);
    }
  }
  return replies;
}

std::vector<Reply> Session::ReadMany(const std::vector<Read>& reads, bool watch, const Deadline& deadline) {
  return CallMany(
      reads.size(), [&](size_t i, zhandle_t* zh, const void* ctx) { return IssueRead(zh, reads[i], watch, ctx); },
      deadline);
}

std::vector<Reply> Session::GetMany(const std::vector<std::string>& paths, bool watch, const Deadline& deadline) {
  std::vector<Read> reads;
  reads.reserve(paths.size());
  for (const std::string& path : paths) reads.push_back(Read{ReadOp::kGet, path});
  return ReadMany(reads, watch, deadline);
}

Reply Session::GetChildren(const std::string& path, bool watch, const Deadline& deadline) {
  return ReadOne(Read{ReadOp::kGetChildren, path}, watch, deadline);
}

Reply Session::Exists(const std::string& path, bool watch, const Deadline& deadline) {
  return ReadOne(Read{ReadOp::kExists, path}, watch, deadline);
}

Reply Session::Create(const std::string& path, const std::string& data, int flags, const Deadline& deadline) {
  return Call(
      [&](zhandle_t* zh, const void* ctx) {
        return zoo_acreate(zh, path.c_str(), data.data(), static_cast<int>(data.size()), acl_, flags,
                           &StringDone, ctx);
      },
      deadline);
}

int Session::CreateAll(const std::vector<std::pair<std::string, std::string>>& nodes, int flags,
                       const Deadline& deadline) {
  struct Multi {
    std::vector<zoo_op_t> ops;
    std::vector<zoo_op_result_t> results;
    std::vector<std::string> created;  // the client writes each created path here
  };
  auto multi = std::make_shared<Multi>();
  multi->ops.resize(nodes.size());
  multi->results.resize(nodes.size());
  multi->created.resize(nodes.size());
  for (size_t i = 0; i < nodes.size(); ++i) {
    const auto& [path, data] = nodes[i];
    multi->created[i].resize(path.size() + 1);
    zoo_create_op_init(&multi->ops[i], path.c_str(), data.data(), static_cast<int>(data.size()), acl_, flags,
                       multi->created[i].data(), static_cast<int>(multi->created[i].size()));
  }
  auto pending = std::make_shared<Pending>(1);
  pending->request_state = multi;
  {
    std::shared_lock<std::shared_mutex> lock(handle_mu_);
    const void* ctx = NewSlot(pending, 0);
    int rc = zh_ == nullptr ? ZCLOSING
                            : zoo_amulti(zh_, static_cast<int>(nodes.size()), multi->ops.data(),
                                         multi->results.data(), &VoidDone, ctx);
    if (rc != ZOK) {
      DeleteSlot(ctx);
      return rc;
    }
  }
  // A multi that fails answers with the code of its first failed operation.
  return Await(*pending, deadline)[0].rc;
}

Reply Session::Set(const std::string& path, const std::string& data, int version, const Deadline& deadline) {
  return Call(
      [&](zhandle_t* zh, const void* ctx) {
        return zoo_aset(zh, path.c_str(), data.data(), static_cast<int>(data.size()), version, &StatDone, ctx);
      },
      deadline);
}

Reply Session::Delete(const std::string& path, int version, const Deadline& deadline) {
  return Call(
      [&](zhandle_t* zh, const void* ctx) { return zoo_adelete(zh, path.c_str(), version, &VoidDone, ctx); },
      deadline);
}

Reply Session::GetAcl(const std::string& path, const Deadline& deadline) {
  return Call([&](zhandle_t* zh, const void* ctx) { return zoo_aget_acl(zh, path.c_str(), &AclDone, ctx); },
              deadline);
}

Reply Session::SetOwnAcl(const std::string& path, int aversion, const Deadline& deadline) {
  return Call(
      [&](zhandle_t* zh, const void* ctx) {
        // The client only serializes the vector; its API is not const-correct.
        return zoo_aset_acl(zh, path.c_str(), aversion, const_cast<ACL_vector*>(acl_), &VoidDone, ctx);
      },
      deadline);
}

std::vector<Reply> Session::DeleteMany(const std::vector<std::string>& paths, const Deadline& deadline) {
  return CallMany(
      paths.size(),
      [&](size_t i, zhandle_t* zh, const void* ctx) { return zoo_adelete(zh, paths[i].c_str(), -1, &VoidDone, ctx); },
      deadline);
}

}  // namespace zk
}  // namespace kreg
