// DirectoryGuard: with credentials, the directories kreg writes under are
// checked to be closed to others before kreg trusts them.
//
// ZooKeeper checks the CREATE and DELETE rights of a node's parent, not of
// the node: in a directory that others may write, anyone can delete
// keeper's instance and create a fake one in its place, whatever ACL the
// instance has. So before kreg writes under <root>/<service>/instance (or
// .../property) it reads the ACLs of the root, <root>/<service> and that
// directory. A directory is open when an ACL entry for anyone but this
// identity (world:anyone, another digest user or password, an ip, ...)
// grants CREATE, DELETE or ADMIN (ADMIN could grant the other two).
//   - open, and this identity holds ADMIN there: kreg sets the plugin's ACL
//     (all rights to its digest identity; READ for anyone unless
//     read_acl=creator) and logs a warning naming the directory and what it
//     let others do. Nodes already in a repaired instance or property
//     directory stay, and are served: each (of the first 32) whose ACL does
//     not name this identity is named in a warning. (An ACL can be copied,
//     so one that names us proves nothing: the warning is a hint only.)
//   - open without ADMIN for this identity: PERMISSION_DENIED naming the
//     directory and what it lets others do. Nothing is written, not even
//     the repairs of the other directories;
//   - missing: kreg creates it (with the plugin's ACL, as before).
// READ and WRITE (a directory's own data) of others are not a risk. The
// directories above the root, and the root itself when it is "/", are
// ZooKeeper's or the operator's, not kreg's: not checked.
// A verdict "closed" is kept per directory until the session is replaced,
// so only the first write under a service in a session pays the reads;
// a refusal is not kept: the next write checks again.
//
// Without credentials nothing is checked (kreg's nodes are open then).
//
// Thread safety: all methods may be called from any thread.
#ifndef KREG_PLUGINS_ZOOKEEPER_DIRECTORY_GUARD_H_
#define KREG_PLUGINS_ZOOKEEPER_DIRECTORY_GUARD_H_

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_set>
#include <vector>

#include "kreg/plugin.hpp"
#include "kreg/status.hpp"
#include "layout.h"
#include "options.h"
#include "requests.h"
#include "session.h"

namespace kreg {
namespace zk {

class DirectoryGuard {
 public:
  DirectoryGuard(Session* session, const Layout* layout, const Options& options, plugin::Logger log);
  DirectoryGuard(const DirectoryGuard&) = delete;
  DirectoryGuard& operator=(const DirectoryGuard&) = delete;

  // Before writing an instance, or the property, of `service`.
  Status CheckInstanceDir(const std::string& service, const Deadline& deadline);
  Status CheckPropertyDir(const std::string& service, const Deadline& deadline);

 private:
  // What the ACL of one directory lets others do.
  struct Verdict {
    std::string dir;
    int aversion = 0;
    std::string open_to;  // "world:anyone create and delete children, ..."; empty: closed
    bool admin = false;   // this identity may set the ACL
    bool our_user = false;  // one of the others is our username with another password
  };

  // Checks `records_dir` of `service` and the directories above it.
  Status Check(const std::string& service, const std::string& records_dir, const Deadline& deadline);
  // One round over `dirs` (from the root down; the last holds the
  // records). Sets *changed when someone else changed a directory
  // meanwhile, so that the round must be made again.
  Status CheckOnce(const std::vector<std::string>& dirs, const Deadline& deadline, bool* changed);
  Verdict Judge(const std::string& dir, const Reply& reply) const;
  std::string Refusal(const Verdict& verdict) const;
  bool Verified(const std::string& dir);
  void MarkVerified(const std::string& dir);
  void WarnAboutForeignNodes(const std::string& dir, const Deadline& deadline);

  Session* const session_;
  const Layout* const layout_;
  const plugin::Logger log_;
  const bool enabled_;           // credentials were given
  const std::string user_;
  const std::string digest_id_;  // "user:hash" of our credentials
  const ReadAcl read_acl_;

  std::mutex mu_;
  int64_t verified_session_ = 0;  // the session the verdicts are of
  std::unordered_set<std::string> verified_;
};

}  // namespace zk
}  // namespace kreg

#endif  // KREG_PLUGINS_ZOOKEEPER_DIRECTORY_GUARD_H_
