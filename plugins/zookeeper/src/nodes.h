// Znode operations built from Session requests: creating with parents,
// taking over an ephemeral node, and reading the stored records.
#ifndef KREG_PLUGINS_ZOOKEEPER_NODES_H_
#define KREG_PLUGINS_ZOOKEEPER_NODES_H_

#include <string>

#include "kreg/plugin.hpp"
#include "kreg/status.hpp"
#include "kreg/types.hpp"
#include "requests.h"
#include "session.h"

namespace kreg {
namespace zk {

// Creates `path` with `data` and `flags`, first creating any missing
// parents as empty persistent nodes. A parent that another client creates
// at the same moment is fine (ZNODEEXISTS on a parent is success). Returns
// the code of the final create of `path` itself (ZNODEEXISTS included).
int CreateWithParents(Session* session, const std::string& path, const std::string& data, int flags,
                      const Deadline& deadline);

// What CreateOwnedEphemeral found at the path.
enum class Ownership {
  kCreated,  // our node is there now, made by this call
  kOurs,     // our node was there already
  kOther     // a node we do not own is there; left as it is
};

// Makes `path` an ephemeral node of the current session holding `data`.
// A node already there is kept as it is when it is ours (ephemeralOwner is
// this session: our own create, retried after a connection loss, or one
// made by a concurrent caller holding the same data); one left by an
// earlier, expired session of this Session is deleted, guarded by its
// version so a concurrent change is not lost, and created again. Any other
// node -- another session's, which may well be alive (a client cannot
// tell), or a persistent one (foreign data) -- is never touched: the result
// is kOther and *other_owner its ephemeralOwner (0 for a persistent node).
Status CreateOwnedEphemeral(Session* session, const std::string& path, const std::string& data,
                            const Deadline& deadline, Ownership* result, int64_t* other_owner);

// The node of an instance or a property as read.
enum class ReadResult {
  kOk,         // *out is set, with version (mzxid) and data_version (Stat.version)
  kMissing,    // no such node
  kMalformed,  // the node holds something that is not a valid record; logged
  kError       // a request failed; *error says why
};

// Decodes `reply`, the answer to a read of the instance node `path` of
// `service`/`id`. A record whose id or service_name disagree with its path
// is malformed; empty ones are taken from the path.
ReadResult DecodeInstanceReply(const Reply& reply, const plugin::Logger& log, const std::string& path,
                               const std::string& service, const std::string& id, Instance* out, Stat* stat,
                               Status* error);

ReadResult DecodePropertyReply(const Reply& reply, const plugin::Logger& log, const std::string& path,
                               const std::string& service, Property* out, Stat* stat, Status* error);

ReadResult ReadProperty(Session* session, const plugin::Logger& log, const std::string& path,
                        const std::string& service, bool watch, const Deadline& deadline, Property* out,
                        Stat* stat, Status* error);

}  // namespace zk
}  // namespace kreg

#endif  // KREG_PLUGINS_ZOOKEEPER_NODES_H_
