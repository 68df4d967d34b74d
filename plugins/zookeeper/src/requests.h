// The requests kreg makes of ZooKeeper, over a Session.
//
// The blocking ones are issued asynchronously and awaited up to a
// deadline (completion.h), and are retried on connection loss, server
// timeouts and session expiry until that deadline; the last code is then
// returned (see status.h for the mapping). The *Async ones return at once
// and hand their reply to a function on the client's completion thread;
// they are never retried.
//
// Thread safety: all may be called from any thread. The blocking ones
// must not be called on the completion thread (they would wait for a
// reply only that thread can deliver).
#ifndef KREG_PLUGINS_ZOOKEEPER_REQUESTS_H_
#define KREG_PLUGINS_ZOOKEEPER_REQUESTS_H_

#include <string>
#include <utility>
#include <vector>

#include "completion.h"
#include "deadline.h"
#include "session.h"

namespace kreg {
namespace zk {

enum class ReadOp { kGet, kGetChildren, kExists };
struct Read {
  ReadOp op;
  std::string path;
};

// A read; with `watch` it leaves a watch on the node read (exists also on
// a missing one; getData and getChildren leave none there).
Reply ReadOne(Session* session, const Read& read, bool watch, const Deadline& deadline);
Reply Get(Session* session, const std::string& path, bool watch, const Deadline& deadline);
Reply GetChildren(Session* session, const std::string& path, bool watch, const Deadline& deadline);
Reply Exists(Session* session, const std::string& path, bool watch, const Deadline& deadline);
// Many reads at once: the requests are pipelined, so n reads cost about
// one round trip instead of n. Replies are in the order of `reads`.
std::vector<Reply> ReadMany(Session* session, const std::vector<Read>& reads, bool watch, const Deadline& deadline);
std::vector<Reply> GetMany(Session* session, const std::vector<std::string>& paths, bool watch,
                           const Deadline& deadline);
// Issues `read` and returns the client's immediate code: on ZOK `done`
// runs later on the completion thread with the reply; otherwise never.
int ReadAsync(Session* session, const Read& read, bool watch, ReplyFn done);

// `flags`: ZOO_EPHEMERAL or 0 (persistent). The node gets the session's
// node ACL (Session::node_acl).
Reply Create(Session* session, const std::string& path, const std::string& data, int flags,
             const Deadline& deadline);
// Creates every node of `nodes` (path, data) with `flags` in one
// multi-operation: all or none. ZOK when all were created; otherwise the
// code of the first operation that failed, or of the request. Not retried:
// a caller falls back to single creates.
// Issues a create as ReadAsync issues a read: `done` runs on the
// completion thread iff the immediate code is ZOK.
int CreateAsync(Session* session, const std::string& path, const std::string& data, int flags, ReplyFn done);
int CreateAll(Session* session, const std::vector<std::pair<std::string, std::string>>& nodes, int flags,
              const Deadline& deadline);
Reply Set(Session* session, const std::string& path, const std::string& data, int version,
          const Deadline& deadline);
Reply Delete(Session* session, const std::string& path, int version, const Deadline& deadline);
// Deletes every node of `paths` (any version), pipelined as ReadMany is.
// Replies are in the order of `paths`.
std::vector<Reply> DeleteMany(Session* session, const std::vector<std::string>& paths, const Deadline& deadline);
Reply GetAcl(Session* session, const std::string& path, const Deadline& deadline);
// Gives `path` the session's node ACL, if its ACL version (Stat.aversion)
// is still `aversion`.
Reply SetOwnAcl(Session* session, const std::string& path, int aversion, const Deadline& deadline);

}  // namespace zk
}  // namespace kreg

#endif  // KREG_PLUGINS_ZOOKEEPER_REQUESTS_H_
