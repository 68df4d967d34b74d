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

Status ServiceReader::ReadServices(const std::vector<std::string>& services, const Deadline& deadline,
                                   std::vector<std::pair<std::string, ServiceNodes>>* out) const {
  using Op = ReadOp;
  constexpr size_t kReadsPerService = 4;
  std::vector<Read> reads;
  reads.reserve(services.size() * kReadsPerService);
  for (const std::string& service : services) {
    reads.push_back({Op::kExists, layout_->Service(service)});
    reads.push_back({Op::kGetChildren, layout_->InstanceDir(service)});
    reads.push_back({Op::kGet, layout_->Property(service)});
    reads.push_back({Op::kExists, layout_->PropertyDir(service)});
  }
  std::vector<Reply> own = ReadMany(session_, reads, false, deadline);

  std::vector<std::pair<std::string, ServiceNodes>> found;
  std::vector<std::vector<std::string>> ids;
  std::vector<std::string> paths;
  for (size_t i = 0; i < services.size(); ++i) {
    const Reply* r = &own[i * kReadsPerService];
    if (r[0].rc == ZNONODE) continue;  // deleted since the listing
    if (r[0].rc != ZOK) return ZkStatus(r[0].rc, "read", reads[i * kReadsPerService].path);
    ServiceNodes nodes;
    std::vector<std::string> unknown;
    Status s = ApplyInstanceDir(services[i], r[1], &nodes, &unknown);
    if (s.ok()) s = ApplyProperty(services[i], r[2], r[3], &nodes);
    if (!s.ok()) return s;
    for (const std::string& id : unknown) paths.push_back(layout_->Instance(services[i], id));
    found.emplace_back(services[i], std::move(nodes));
    ids.push_back(std::move(unknown));
  }

  std::vector<Reply> replies = GetMany(session_, paths, false, deadline);
  size_t next = 0;
  for (size_t i = 0; i < found.size(); ++i) {
    const size_t n = ids[i].size();
    std::vector<std::string> own_paths(paths.begin() + next, paths.begin() + next + n);
    std::vector<Reply> own_replies(std::make_move_iterator(replies.begin() + next),
                                   std::make_move_iterator(replies.begin() + next + n));
    next += n;
    Status s = ApplyInstances(found[i].first, ids[i], own_paths, own_replies, &found[i].second);
    if (!s.ok()) return s;
  }
  *out = std::move(found);
  return Status::OK();
}

}  // namespace zk
}  // namespace kreg
