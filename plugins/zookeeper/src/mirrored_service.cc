#include "mirrored_service.h"

#include <algorithm>

#include "kreg/json_format.hpp"

namespace kreg {
namespace zk {

int64_t ServiceVersion(const MirroredService& service) {
  int64_t max_instance_mzxid = 0;
  for (const auto& [id, node] : service.instances) max_instance_mzxid = std::max(max_instance_mzxid, node.mzxid);
  for (const auto& [id, mzxid] : service.skipped) max_instance_mzxid = std::max(max_instance_mzxid, mzxid);
  return ServiceVersion(service.instance_dir_pzxid, service.property_dir_pzxid, service.property_mzxid,
                        max_instance_mzxid);
}

Instance DecodeMirrored(const Layout& layout, const std::string& service, const std::string& id,
                        const MirroredInstance& node) {
  Instance instance;
  // It decoded when it was read, and the mirror keeps only records that do.
  (void)format::DecodeInstance(node.json, layout.Instance(service, id), &instance);
  instance.service_name = service;
  instance.id = id;
  instance.version = node.mzxid;
  instance.data_version = node.data_version;
  return instance;
}

}  // namespace zk
}  // namespace kreg
