#include "support/version_rule.h"

namespace kreg {
namespace testing {

std::string VersionRule::Check(const WatchEvent& e) {
  if (e.type == EventType::kSynced || e.type == EventType::kError) {
    return e.version == 0 ? "" : std::string(EventTypeName(e.type)) + " carries version " + std::to_string(e.version);
  }
  PerService& s = services_[e.service_name];
  const std::string id = e.info == EventInfo::kInstance ? e.instance.id : "";
  const std::string what = std::string(EventTypeName(e.type)) + " " + EventInfoName(e.info) + " " +
                           e.service_name + (id.empty() ? "" : "/" + id) + " v" + std::to_string(e.version) + ": ";
  if (e.version < s.version) return what + "version below the service's last, " + std::to_string(s.version);
  if (e.version > s.version) {
    s.version = e.version;
    s.keys.clear();
  }
  if (!s.keys.emplace(e.info, id).second) {
    return what + "a second event for one key at one version (one state holds each key once)";
  }
  return "";
}

int64_t VersionRule::last(const std::string& service) const {
  auto found = services_.find(service);
  return found == services_.end() ? 0 : found->second.version;
}

}  // namespace testing
}  // namespace kreg
