// CreateBatcher: the creates of concurrent registers, sent together.
//
// ZooKeeper commits each write with a disk sync and a trip through its
// request pipeline; many callers each waiting for their own create keep
// few requests in flight. Here a caller that finds fewer than two batches
// in flight sends every create queued so far as one multi-operation and
// waits for it; callers arriving meanwhile queue up for the next batch. A lone
// caller sends a plain create. A multi is all or nothing: when it fails
// (a node already there, a missing parent, a lost connection) each of its
// callers is told so and makes its create on its own, with
// CreateOwnedEphemeral: a node already there is never deleted unless one
// of this backend's own sessions owns it.
//
// Thread safety: Create may be called from any number of threads.
#ifndef KREG_PLUGINS_ZOOKEEPER_CREATE_BATCHER_H_
#define KREG_PLUGINS_ZOOKEEPER_CREATE_BATCHER_H_

#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>

#include "requests.h"
#include "session.h"

namespace kreg {
namespace zk {

class CreateBatcher {
 public:
  explicit CreateBatcher(Session* session) : session_(session) {}

  // Creates the ephemeral node `path` holding `data` in some batch. ZOK
  // when it was created; any other code means the caller must create it
  // itself (CreateOwnedEphemeral).
  int CreateEphemeral(const std::string& path, const std::string& data, const Deadline& deadline);

 private:
  // ZooKeeper's request size limit (jute.maxbuffer, 1 MiB) bounds a
  // multi; this keeps batches of typical instances well inside it.
  static constexpr size_t kMaxBatch = 64;
  static constexpr size_t kMaxBatchBytes = 512 * 1024;
  // Two batches in flight keep the server busy while one is committed.
  static constexpr int kMaxInFlight = 2;

  struct Request {
    const std::string* path;
    const std::string* data;
    int rc = ZOK;
    bool done = false;
  };

  Session* const session_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Request*> queue_;
  int sending_ = 0;  // batches in flight
};

}  // namespace zk
}  // namespace kreg

#endif  // KREG_PLUGINS_ZOOKEEPER_CREATE_BATCHER_H_
