#include "requests.h"

#include <algorithm>
#include <memory>
#include <thread>

#include "status.h"

namespace kreg {
namespace zk {

namespace {

// Issues a request on handle `zh` with completion context `ctx`; returns
// the client's immediate code.
using IssueFn = std::function<int(zhandle_t* zh, const void* ctx)>;
// The same for request i of a batch.
using IssueNthFn = std::function<int(size_t i, zhandle_t* zh, const void* ctx)>;

// Sleeps `d`, or less if the deadline comes first.
void SleepUntilAtMost(std::chrono::milliseconds d, const Deadline& deadline) {
  auto until = std::min(Clock::now() + d, deadline.at);
  while (Clock::now() < until && !deadline.passed()) {
    std::this_thread::sleep_for(std::min<Clock::duration>(std::chrono::milliseconds(20), until - Clock::now()));
  }
}

Reply Call(Session* session, const IssueFn& issue, const Deadline& deadline) {
  auto backoff = std::chrono::milliseconds(10);
  for (;;) {
    auto call = PendingCall::Make(1);
    const void* ctx = call->Context(0);
    int rc = session->Issue([&](zhandle_t* zh) { return issue(zh, ctx); });
    if (rc != ZOK) call->Refused(0, ctx, rc);  // the completion will not run
    Reply reply = std::move(call->Await(deadline)[0]);
    if (!IsRetryable(reply.rc) || deadline.passed()) return reply;
    session->WaitConnected(deadline);
    SleepUntilAtMost(backoff, deadline);
    backoff = std::min(backoff * 2, std::chrono::milliseconds(250));
  }
}

// Issues request i of n all at once, awaits them together, then retries
// each retryable failure on its own as Call does.
std::vector<Reply> CallMany(Session* session, size_t n, const IssueNthFn& issue, const Deadline& deadline) {
  auto call = PendingCall::Make(n);
  size_t issued = 0;
  session->Issue([&](zhandle_t* zh) {
    for (; issued < n; ++issued) {
      const void* ctx = call->Context(issued);
      int rc = issue(issued, zh, ctx);
      if (rc != ZOK) call->Refused(issued, ctx, rc);
    }
    return ZOK;
  });
  for (size_t i = issued; i < n; ++i) call->Refused(i, call->Context(i), ZCLOSING);  // the session is closed
  std::vector<Reply> replies = call->Await(deadline);
  for (size_t i = 0; i < n; ++i) {
    // A failure the single request would retry is retried the same way.
    if (IsRetryable(replies[i].rc) && !deadline.passed()) {
      replies[i] = Call(session, [&](zhandle_t* zh, const void* ctx) { return issue(i, zh, ctx); }, deadline);
    }
  }
  return replies;
}

int IssueRead(zhandle_t* zh, const Read& read, bool watch, const void* ctx) {
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

}  // namespace

Reply ReadOne(Session* session, const Read& read, bool watch, const Deadline& deadline) {
  return Call(session, [&](zhandle_t* zh, const void* ctx) { return IssueRead(zh, read, watch, ctx); }, deadline);
}

Reply Get(Session* session, const std::string& path, bool watch, const Deadline& deadline) {
  return ReadOne(session, Read{ReadOp::kGet, path}, watch, deadline);
}

Reply GetChildren(Session* session, const std::string& path, bool watch, const Deadline& deadline) {
  return ReadOne(session, Read{ReadOp::kGetChildren, path}, watch, deadline);
}

Reply Exists(Session* session, const std::string& path, bool watch, const Deadline& deadline) {
  return ReadOne(session, Read{ReadOp::kExists, path}, watch, deadline);
}

std::vector<Reply> ReadMany(Session* session, const std::vector<Read>& reads, bool watch, const Deadline& deadline) {
  return CallMany(
      session, reads.size(),
      [&](size_t i, zhandle_t* zh, const void* ctx) { return IssueRead(zh, reads[i], watch, ctx); }, deadline);
}

std::vector<Reply> GetMany(Session* session, const std::vector<std::string>& paths, bool watch,
                           const Deadline& deadline) {
  std::vector<Read> reads;
  reads.reserve(paths.size());
  for (const std::string& path : paths) reads.push_back(Read{ReadOp::kGet, path});
  return ReadMany(session, reads, watch, deadline);
}

int ReadAsync(Session* session, const Read& read, bool watch, ReplyFn done) {
  const void* ctx = NewCallback(std::move(done));
  int rc = session->Issue([&](zhandle_t* zh) { return IssueRead(zh, read, watch, ctx); });
  if (rc != ZOK) DeleteContext(ctx);
  return rc;
}

Reply Create(Session* session, const std::string& path, const std::string& data, int flags,
             const Deadline& deadline) {
  return Call(
      session,
      [&](zhandle_t* zh, const void* ctx) {
        return zoo_acreate(zh, path.c_str(), data.data(), static_cast<int>(data.size()), session->node_acl(), flags,
                           &StringDone, ctx);
      },
      deadline);
}

int CreateAsync(Session* session, const std::string& path, const std::string& data, int flags, ReplyFn done) {
  const void* ctx = NewCallback(std::move(done));
  int rc = session->Issue([&](zhandle_t* zh) {
    return zoo_acreate(zh, path.c_str(), data.data(), static_cast<int>(data.size()), session->node_acl(), flags,
                       &StringDone, ctx);
  });
  if (rc != ZOK) DeleteContext(ctx);
  return rc;
}

int CreateAll(Session* session, const std::vector<std::pair<std::string, std::string>>& nodes, int flags,
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
    zoo_create_op_init(&multi->ops[i], path.c_str(), data.data(), static_cast<int>(data.size()),
                       session->node_acl(), flags, multi->created[i].data(),
                       static_cast<int>(multi->created[i].size()));
  }
  auto call = PendingCall::Make(1);
  call->Keep(multi);
  const void* ctx = call->Context(0);
  int rc = session->Issue([&](zhandle_t* zh) {
    return zoo_amulti(zh, static_cast<int>(nodes.size()), multi->ops.data(), multi->results.data(), &VoidDone, ctx);
  });
  if (rc != ZOK) {
    call->Refused(0, ctx, rc);
    return rc;
  }
  // A multi that fails answers with the code of its first failed operation.
  return call->Await(deadline)[0].rc;
}

Reply Set(Session* session, const std::string& path, const std::string& data, int version,
          const Deadline& deadline) {
  return Call(
      session,
      [&](zhandle_t* zh, const void* ctx) {
        return zoo_aset(zh, path.c_str(), data.data(), static_cast<int>(data.size()), version, &StatDone, ctx);
      },
      deadline);
}

Reply Delete(Session* session, const std::string& path, int version, const Deadline& deadline) {
  return Call(
      session, [&](zhandle_t* zh, const void* ctx) { return zoo_adelete(zh, path.c_str(), version, &VoidDone, ctx); },
      deadline);
}

std::vector<Reply> DeleteMany(Session* session, const std::vector<std::string>& paths, const Deadline& deadline) {
  return CallMany(
      session, paths.size(),
      [&](size_t i, zhandle_t* zh, const void* ctx) { return zoo_adelete(zh, paths[i].c_str(), -1, &VoidDone, ctx); },
      deadline);
}

Reply GetAcl(Session* session, const std::string& path, const Deadline& deadline) {
  return Call(
      session, [&](zhandle_t* zh, const void* ctx) { return zoo_aget_acl(zh, path.c_str(), &AclDone, ctx); },
      deadline);
}

Reply SetOwnAcl(Session* session, const std::string& path, int aversion, const Deadline& deadline) {
  return Call(
      session,
      [&](zhandle_t* zh, const void* ctx) {
        // The client only serializes the vector; its API is not const-correct.
        return zoo_aset_acl(zh, path.c_str(), aversion, const_cast<ACL_vector*>(session->node_acl()), &VoidDone,
                            ctx);
      },
      deadline);
}

}  // namespace zk
}  // namespace kreg
