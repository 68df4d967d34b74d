#include "nodes.h"

#include <vector>

#include "kreg/json_format.hpp"
#include "layout.h"
#include "status.h"

namespace kreg {
namespace zk {

int CreateWithParents(Session* session, const std::string& path, const std::string& data, int flags,
                      const Deadline& deadline) {
  int rc = Create(session, path, data, flags, deadline).rc;
  if (rc != ZNONODE) return rc;
  std::vector<std::string> missing;
  for (std::string p = ParentPath(path); p != "/"; p = ParentPath(p)) missing.push_back(p);
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    int prc = Create(session, *it, "", 0, deadline).rc;
    if (prc != ZOK && prc != ZNODEEXISTS) return prc;
  }
  return Create(session, path, data, flags, deadline).rc;
}

Status CreateOwnedEphemeral(Session* session, const std::string& path, const std::string& data,
                            const Deadline& deadline, Ownership* result, int64_t* other_owner) {
  // Each round either succeeds or removes a node an earlier session of
  // ours left; the bound only stops a livelock with another writer of the
  // same path.
  for (int round = 0; round < 10; ++round) {
    int rc = CreateWithParents(session, path, data, ZOO_EPHEMERAL, deadline);
    if (rc == ZOK) {
      *result = Ownership::kCreated;
      return Status::OK();
    }
    if (rc != ZNODEEXISTS) return ZkStatus(rc, "create", path);
    Reply existing = Exists(session, path, false, deadline);
    if (existing.rc == ZNONODE) continue;
    if (existing.rc != ZOK) return ZkStatus(existing.rc, "exists", path);
    const int64_t owner = existing.stat.ephemeralOwner;
    if (owner != 0 && owner == session->session_id()) {
      *result = Ownership::kOurs;
      return Status::OK();
    }
    if (!session->IsOwnSession(owner)) {
      *result = Ownership::kOther;
      *other_owner = owner;
      return Status::OK();
    }
    int del = Delete(session, path, existing.stat.version, deadline).rc;
    if (del != ZOK && del != ZNONODE && del != ZBADVERSION) return ZkStatus(del, "delete stale", path);
  }
  return Status::Unavailable("zookeeper create " + path +
                             ": another client keeps re-creating this node; is the same id registered twice?");
}

namespace {

template <typename Record, typename Decode>
ReadResult DecodeRecord(const Reply& r, const plugin::Logger& log, const std::string& path, Decode decode,
                        Record* out, Stat* stat, Status* error) {
  if (r.rc == ZNONODE) return ReadResult::kMissing;
  if (r.rc != ZOK) {
    *error = ZkStatus(r.rc, "read", path);
    return ReadResult::kError;
  }
  *stat = r.stat;
  Status s = decode(r.data, out);
  if (!s.ok()) {
    log.Warn("zookeeper: skipping malformed node: " + s.message());
    return ReadResult::kMalformed;
  }
  out->version = r.stat.mzxid;
  out->data_version = r.stat.version;
  return ReadResult::kOk;
}

Status CheckName(const std::string& path, const char* field, const std::string& want, std::string* got) {
  if (got->empty()) {
    *got = want;
    return Status::OK();
  }
  if (*got == want) return Status::OK();
  return Status::Corrupt("record at " + path + " has " + field + " \"" + *got + "\", its path says \"" + want +
                         "\"");
}

}  // namespace

ReadResult DecodeInstanceReply(const Reply& reply, const plugin::Logger& log, const std::string& path,
                               const std::string& service, const std::string& id, Instance* out, Stat* stat,
                               Status* error) {
  auto decode = [&](const std::string& text, Instance* in) {
    Status s = format::DecodeInstance(text, path, in);
    if (s.ok()) s = CheckName(path, "service_name", service, &in->service_name);
    if (s.ok()) s = CheckName(path, "id", id, &in->id);
    return s;
  };
  return DecodeRecord(reply, log, path, decode, out, stat, error);
}

ReadResult DecodePropertyReply(const Reply& reply, const plugin::Logger& log, const std::string& path,
                               const std::string& service, Property* out, Stat* stat, Status* error) {
  auto decode = [&](const std::string& text, Property* p) {
    Status s = format::DecodeProperty(text, path, p);
    if (s.ok()) s = CheckName(path, "service_name", service, &p->service_name);
    return s;
  };
  return DecodeRecord(reply, log, path, decode, out, stat, error);
}

ReadResult ReadProperty(Session* session, const plugin::Logger& log, const std::string& path,
                        const std::string& service, bool watch, const Deadline& deadline, Property* out,
                        Stat* stat, Status* error) {
  return DecodePropertyReply(Get(session, path, watch, deadline), log, path, service, out, stat, error);
}

}  // namespace zk
}  // namespace kreg
