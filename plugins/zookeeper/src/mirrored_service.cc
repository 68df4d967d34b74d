#include "mirrored_service.h"

#include <algorithm>

#include "kreg/json_format.hpp"

namespace kreg {
namespace zk {

int64_t ServiceVersion(const MirroredService& service) {
  return ServiceVersion(service.instance_dir_pzxid, service.property_dir_pzxid, service.property_mzxid,
                        service.max_instance_mzxid);
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
