#include "service_nodes.h"

#include <algorithm>
#include <set>

#include "kreg/data_model.hpp"
#include "kreg/json_format.hpp"
#include "kreg/validate.hpp"
#include "nodes.h"
#include "status.h"

namespace kreg {
namespace zk {

namespace {

// A node that vanishes and reappears between our requests is read again,
// a few times at most, before its watch is left to report it.
constexpr int kReadAttempts = 3;

}  // namespace

Service ServiceNodes::ToService(const std::string& service) const {
  Service out;
  out.service_name = service;
  int64_t max_instance_mzxid = 0;
  for (const auto& [id, instance] : instances) {
    max_instance_mzxid = std::max(max_instance_mzxid, instance.version);
    AddInstance(instance, &out);
  }
  for (const auto& [id, mzxid] : malformed) max_instance_mzxid = std::max(max_instance_mzxid, mzxid);
  if (has_property) format::MergeProperty(property, &out);
  out.version = ServiceVersion(instance_dir_pzxid, property_dir_pzxid, property.version, max_instance_mzxid);
  return out;
}

Status ServiceReader::ReadAll(const std::string& service, const Deadline& deadline, ServiceNodes* out) const {
  const std::string path = layout_->Service(service);
  Reply node = Exists(session_, path, watch_, deadline);
  if (node.rc == ZNONODE) {
    return Status::NotFound("service \"" + service + "\" does not exist (no znode " + path + ")");
  }
  if (node.rc != ZOK) return ZkStatus(node.rc, "read", path);
  ServiceNodes nodes;
  std::vector<std::string> ids;
  Status s = ReadInstanceDir(service, deadline, &nodes, &ids);
  if (s.ok()) s = ReadInstances(service, ids, deadline, &nodes);
  if (s.ok()) s = ReadProperty(service, deadline, &nodes);
  if (s.ok()) *out = std::move(nodes);
  return s;
}

Reply ServiceReader::ReadOrWatchCreation(const std::string& path, bool children, const Deadline& deadline) const {
  for (int attempt = 0; attempt < kReadAttempts; ++attempt) {
    Reply r = children ? GetChildren(session_, path, watch_, deadline) : Get(session_, path, watch_, deadline);
    if (r.rc != ZNONODE || !watch_) return r;
    Reply e = Exists(session_, path, true, deadline);
    if (e.rc == ZNONODE) return r;  // the exists-watch reports its creation
    if (e.rc != ZOK) return e;
  }
  Reply flapping;  // created and deleted under every read: give up this time
  flapping.rc = kDeadlineExceeded;
  return flapping;
}

Status ServiceReader::ReadInstanceDir(const std::string& service, const Deadline& deadline, ServiceNodes* nodes,
                                      std::vector<std::string>* unknown) const {
  return ApplyInstanceDir(service, ReadOrWatchCreation(layout_->InstanceDir(service), true, deadline), nodes,
                          unknown);
}

Status ServiceReader::ApplyInstanceDir(const std::string& service, const Reply& r, ServiceNodes* nodes,
                                       std::vector<std::string>* unknown) const {
  const std::string dir = layout_->InstanceDir(service);
  if (r.rc != ZOK && r.rc != ZNONODE) return ZkStatus(r.rc, "list", dir);
  nodes->instance_dir_pzxid = r.rc == ZOK ? r.stat.pzxid : 0;
  std::set<std::string> present(r.children.begin(), r.children.end());
  for (auto it = nodes->instances.begin(); it != nodes->instances.end();) {
    it = present.count(it->first) != 0 ? std::next(it) : nodes->instances.erase(it);
  }
  for (auto it = nodes->malformed.begin(); it != nodes->malformed.end();) {
    it = present.count(it->first) != 0 ? std::next(it) : nodes->malformed.erase(it);
  }
  for (const std::string& id : present) {
    if (nodes->instances.count(id) != 0 || nodes->malformed.count(id) != 0) continue;
    if (!ValidateName("instance id", id).ok()) {
      log_.Warn("zookeeper: skipping node with an invalid instance id: " + dir + "/" + id);
      continue;
    }
    unknown->push_back(id);
  }
  return Status::OK();
}

Status ServiceReader::ReadInstances(const std::string& service, const std::vector<std::string>& ids,
                                    const Deadline& deadline, ServiceNodes* nodes) const {
  std::vector<std::string> paths;
  paths.reserve(ids.size());
  for (const std::string& id : ids) paths.push_back(layout_->Instance(service, id));
  return ApplyInstances(service, ids, paths, GetMany(session_, paths, watch_, deadline), nodes);
}

Status ServiceReader::ApplyInstances(const std::string& service, const std::vector<std::string>& ids,
                                     const std::vector<std::string>& paths, const std::vector<Reply>& replies,
                                     ServiceNodes* nodes) const {
  for (size_t i = 0; i < ids.size(); ++i) {
    Instance instance;
    Stat stat;
    Status error;
    switch (DecodeInstanceReply(replies[i], log_, paths[i], service, ids[i], &instance, &stat, &error)) {
      case ReadResult::kOk:
        nodes->malformed.erase(ids[i]);
        nodes->instances[ids[i]] = std::move(instance);
        break;
      case ReadResult::kMissing:  // deleted since the listing
        nodes->malformed.erase(ids[i]);
        nodes->instances.erase(ids[i]);
        break;
      case ReadResult::kMalformed:
        nodes->instances.erase(ids[i]);
        nodes->malformed[ids[i]] = stat.mzxid;
        break;
      case ReadResult::kError:
        return error;
    }
  }
  return Status::OK();
}

Status ServiceReader::ReadProperty(const std::string& service, const Deadline& deadline, ServiceNodes* nodes) const {
  Reply property = ReadOrWatchCreation(layout_->Property(service), false, deadline);
  return ApplyProperty(service, property, Exists(session_, layout_->PropertyDir(service), false, deadline), nodes);
}

Status ServiceReader::ApplyProperty(const std::string& service, const Reply& property, const Reply& dir,
                                    ServiceNodes* nodes) const {
  const std::string path = layout_->Property(service);
  Stat stat;
  Status error;
  nodes->has_property = false;
  nodes->property = Property();
  switch (DecodePropertyReply(property, log_, path, service, &nodes->property, &stat, &error)) {
    case ReadResult::kOk:
      nodes->has_property = true;
      break;
    case ReadResult::kMissing:
      break;
    case ReadResult::kMalformed:
      nodes->property = Property();
      nodes->property.version = stat.mzxid;  // counts in the version, merges nothing
      break;
    case ReadResult::kError:
      return error;
  }
  // A deleted property leaves its trace only in its directory's pzxid.
  if (dir.rc != ZOK && dir.rc != ZNONODE) return ZkStatus(dir.rc, "read", layout_->PropertyDir(service));
  nodes->property_dir_pzxid = dir.rc == ZOK ? dir.stat.pzxid : 0;
  return Status::OK();
}

}  // namespace zk
}  // namespace kreg
