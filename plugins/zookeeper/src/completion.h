// How the answer to a request reaches whoever asked.
//
// The C client answers an asynchronous request by calling a completion
// function with the request's context, on its one completion thread, in
// the order the server answered (watch notifications run on that thread
// too, in the same order). Every context here is a Completion that the
// completion function fills a Reply for and then deletes. Two kinds:
// a callback (the reply is handed to a function on the completion thread,
// for reads chained one on another there), and a PendingCall, which a
// caller waits on: the async-to-sync adapter behind requests.h.
#ifndef KREG_PLUGINS_ZOOKEEPER_COMPLETION_H_
#define KREG_PLUGINS_ZOOKEEPER_COMPLETION_H_

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <zookeeper/zookeeper.h>

#include "deadline.h"

namespace kreg {
namespace zk {

// One entry of a node's ACL: `perms` (ZOO_PERM_* bits) for scheme:id.
struct AclEntry {
  int perms = 0;
  std::string scheme;
  std::string id;
};

// What a request returned. `stat` is set for every successful call but
// create, delete and set-ACL; `acl` by a get-ACL only.
struct Reply {
  int rc = ZOK;
  std::string data;
  std::vector<std::string> children;
  std::vector<AclEntry> acl;
  Stat stat{};
};

// A request's context. Done runs at most once, on the completion thread
// (or on the thread closing the handle, with ZCLOSING), and the context is
// deleted after it. A closing handle may drop a request unanswered: an owner
// waits for a reply only up to a deadline (PendingCall), or forgets what it
// has in flight when the session is replaced (node_mirror.h).
class Completion {
 public:
  virtual ~Completion() = default;
  virtual void Done(Reply&& reply) = 0;
};

// The completion functions to pass with a Completion* as context, one per
// shape of answer.
void DataDone(int rc, const char* value, int value_len, const Stat* stat, const void* ctx);
void ChildrenDone(int rc, const String_vector* strings, const Stat* stat, const void* ctx);
void StatDone(int rc, const Stat* stat, const void* ctx);
void AclDone(int rc, ACL_vector* acl, Stat* stat, const void* ctx);
void StringDone(int rc, const char* value, const void* ctx);
void VoidDone(int rc, const void* ctx);

// Runs on the completion thread: must be short and must not wait for
// another reply.
using ReplyFn = std::function<void(Reply&&)>;

// A context that hands the reply to `fn`. Owned by the request once the
// client accepted it; delete it (DeleteContext) when the client refused.
const void* NewCallback(ReplyFn fn);
void DeleteContext(const void* ctx);

// Requests awaited together: one, or a pipelined batch. Shared by the
// waiting caller and each request's context (freed when it completes), so
// a caller that gave up at its deadline leaves nothing dangling. The
// caller is woken once, when the last reply is in.
class PendingCall : public std::enable_shared_from_this<PendingCall> {
 public:
  static std::shared_ptr<PendingCall> Make(size_t n);

  // The context for reply `index`.
  const void* Context(size_t index);
  // Reply `index` will never come: the client refused the request with
  // `rc`; `ctx` was its context.
  void Refused(size_t index, const void* ctx, int rc);
  // Keeps what the client writes into until the replies are in.
  void Keep(std::shared_ptr<void> request_state) { request_state_ = std::move(request_state); }
  // Every reply, waiting for them until `deadline`; those still missing
  // then are kDeadlineExceeded.
  std::vector<Reply> Await(const Deadline& deadline);

 private:
  class Slot;
  explicit PendingCall(size_t n) : replies_(n), done_(n, false), remaining_(n) {}
  void Fill(size_t index, Reply&& reply);

  std::shared_ptr<void> request_state_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Reply> replies_;
  std::vector<bool> done_;
  size_t remaining_;
};

}  // namespace zk
}  // namespace kreg

#endif  // KREG_PLUGINS_ZOOKEEPER_COMPLETION_H_
