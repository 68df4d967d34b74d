#include "directory_guard.h"

#include <algorithm>

#include "digest.h"
#include "nodes.h"
#include "status.h"

namespace kreg {
namespace zk {

namespace {

// The rights that let others replace what kreg writes in a directory.
const int kOpenRights = ZOO_PERM_CREATE | ZOO_PERM_DELETE | ZOO_PERM_ADMIN;
// Rounds of reading, repairing and creating before giving up on
// directories that others keep changing meanwhile.
constexpr int kMaxRounds = 5;
// The nodes of a repaired directory whose ACLs are looked at; a directory
// open for long may hold many, and the write waiting on the repair has
// one timeout.
constexpr size_t kMaxNodesChecked = 32;

// What `perms` (kOpenRights bits) let someone do in a directory.
std::string RightsText(int perms) {
  std::string out;
  if ((perms & ZOO_PERM_CREATE) != 0 && (perms & ZOO_PERM_DELETE) != 0) {
    out = "create and delete children";
  } else if ((perms & ZOO_PERM_CREATE) != 0) {
    out = "create children";
  } else if ((perms & ZOO_PERM_DELETE) != 0) {
    out = "delete children";
  }
  if ((perms & ZOO_PERM_ADMIN) != 0) out += std::string(out.empty() ? "" : " and ") + "change its ACL";
  return out;
}

bool Names(const AclEntry& entry, const std::string& digest_id) {
  return entry.scheme == "digest" && entry.id == digest_id;
}

}  // namespace

DirectoryGuard::DirectoryGuard(Session* session, const Layout* layout, const Options& options, plugin::Logger log)
    : session_(session),
      layout_(layout),
      log_(log),
      enabled_(!options.username.empty()),
      user_(options.username),
      digest_id_(enabled_ ? DigestId(options.username, options.password) : ""),
      read_acl_(options.read_acl) {}

Status DirectoryGuard::CheckInstanceDir(const std::string& service, const Deadline& deadline) {
  if (!enabled_) return Status::OK();
  return Check(service, layout_->InstanceDir(service), deadline);
}

Status DirectoryGuard::CheckPropertyDir(const std::string& service, const Deadline& deadline) {
  if (!enabled_) return Status::OK();
  return Check(service, layout_->PropertyDir(service), deadline);
}

Status DirectoryGuard::Check(const std::string& service, const std::string& records_dir, const Deadline& deadline) {
  // The directories above were verified along with this one.
  if (Verified(records_dir)) return Status::OK();
  std::vector<std::string> dirs;
  if (layout_->root() != "/") dirs.push_back(layout_->root());  // ZooKeeper's own "/" is not kreg's to close
  dirs.push_back(layout_->Service(service));
  dirs.push_back(records_dir);
  for (int round = 0; round < kMaxRounds; ++round) {
    bool changed = false;  // by someone else meanwhile: look again
    Status s = CheckOnce(dirs, deadline, &changed);
    if (!s.ok() || !changed) return s;
  }
  return Status::Unavailable("zookeeper: " + records_dir +
                             " and its parents keep changing while kreg checks their ACLs; retry later");
}

bool DirectoryGuard::Verified(const std::string& dir) {
  int64_t session = session_->session_id();
  std::lock_guard<std::mutex> lock(mu_);
  if (session != verified_session_) {
    verified_.clear();
    verified_session_ = session;
  }
  return verified_.count(dir) != 0;
}

void DirectoryGuard::MarkVerified(const std::string& dir) {
  std::lock_guard<std::mutex> lock(mu_);
  verified_.insert(dir);
}

DirectoryGuard::Verdict DirectoryGuard::Judge(const std::string& dir, const Reply& reply) const {
  Verdict v;
  v.dir = dir;
  v.aversion = reply.stat.aversion;
  for (const AclEntry& entry : reply.acl) {
    bool ours = Names(entry, digest_id_);
    bool anyone = entry.scheme == "world" && entry.id == "anyone";
    if ((ours || anyone) && (entry.perms & ZOO_PERM_ADMIN) != 0) v.admin = true;
    if (ours || (entry.perms & kOpenRights) == 0) continue;
    std::string who = entry.scheme + ":" + entry.id;
    if (entry.scheme == "digest") {  // "user:hash": the hash says nothing to a reader
      std::string user = entry.id.substr(0, entry.id.find(':'));
      v.our_user = v.our_user || user == user_;
      who = "digest:" + user + (user == user_ ? " (another password)" : "");
    }
    if (!v.open_to.empty()) v.open_to += ", ";
    v.open_to += who + " " + RightsText(entry.perms & kOpenRights);
  }
  return v;
}

std::string DirectoryGuard::Refusal(const Verdict& v) const {
  return "zookeeper directory " + v.dir + " lets " + v.open_to +
         "; kreg cannot repair it (no ADMIN right there for digest user \"" + user_ +
         "\"): have a user with ADMIN there set its ACL to all rights for digest user \"" + user_ + "\" only" +
         (read_acl_ == ReadAcl::kWorld ? " (and read for world:anyone)" : "") +
         ", or delete it so that kreg creates it" +
         (v.our_user ? "; if kreg made it with other credentials, check the password (password_env)" : "");
}

Status DirectoryGuard::CheckOnce(const std::vector<std::string>& dirs, const Deadline& deadline, bool* changed) {
  std::vector<Verdict> found;
  size_t first_missing = dirs.size();
  for (size_t i = 0; i < dirs.size(); ++i) {
    if (Verified(dirs[i])) continue;
    Reply r = GetAcl(session_, dirs[i], deadline);
    if (r.rc == ZNONODE) {
      first_missing = i;  // and so is every directory below it
      break;
    }
    if (r.rc != ZOK) return ZkStatus(r.rc, "read the ACL of", dirs[i]);
    found.push_back(Judge(dirs[i], r));
  }
  // All verdicts before any repair: a refusal leaves everything as it was.
  for (const Verdict& v : found) {
    if (!v.open_to.empty() && !v.admin) return Status::PermissionDenied(Refusal(v));
  }
  for (const Verdict& v : found) {
    if (!v.open_to.empty()) {
      int rc = SetOwnAcl(session_, v.dir, v.aversion, deadline).rc;
      if (rc == ZBADVERSION || rc == ZNONODE) {
        *changed = true;
        return Status::OK();
      }
      if (rc == ZNOAUTH) return Status::PermissionDenied(Refusal(v));
      if (rc != ZOK) return ZkStatus(rc, "set the ACL of", v.dir);
      log_.Warn("zookeeper: repaired the ACL of " + v.dir + ": it let " + v.open_to +
                "; now only digest user \"" + user_ + "\" may write there" +
                (read_acl_ == ReadAcl::kWorld ? ", and anyone may read" : ""));
      if (v.dir == dirs.back()) WarnAboutForeignNodes(v.dir, deadline);
    }
    MarkVerified(v.dir);
  }
  for (size_t i = first_missing; i < dirs.size(); ++i) {
    int rc = CreateWithParents(session_, dirs[i], "", 0, deadline);
    if (rc == ZNODEEXISTS) {  // not ours, then: its ACL is read in the next round
      *changed = true;
      return Status::OK();
    }
    if (rc != ZOK) return ZkStatus(rc, "create", dirs[i]);
    MarkVerified(dirs[i]);
  }
  return Status::OK();
}

void DirectoryGuard::WarnAboutForeignNodes(const std::string& dir, const Deadline& deadline) {
  Reply children = GetChildren(session_, dir, false, deadline);
  if (children.rc != ZOK) return;
  std::sort(children.children.begin(), children.children.end());
  if (children.children.size() > kMaxNodesChecked) {
    log_.Warn("zookeeper: " + dir + " holds " + std::to_string(children.children.size()) +
              " nodes written while it was open; only the first " + std::to_string(kMaxNodesChecked) +
              " are checked below");
    children.children.resize(kMaxNodesChecked);
  }
  for (const std::string& child : children.children) {
    const std::string path = dir + "/" + child;
    Reply acl = GetAcl(session_, path, deadline);
    if (acl.rc != ZOK) continue;
    bool ours = std::any_of(acl.acl.begin(), acl.acl.end(),
                            [&](const AclEntry& e) { return Names(e, digest_id_); });
    if (ours) continue;
    log_.Warn("zookeeper: " + path + " was written while " + dir + " was open, and its ACL does not name digest user \"" +
              user_ + "\": kreg serves it like its own; delete it if it is not");
  }
}

}  // namespace zk
}  // namespace kreg
