// VersionRule: checks a watch's events, as they come, against the version
// rule of api/CONTRACT.md "Versions": per service, versions never
// decrease; the events sharing one version bring the service to one state,
// so each names a different key (an instance id, or the property); SYNCED
// and ERROR carry 0.
//
// Not thread-safe: feed it from one watch's callback (or under a lock).
#ifndef KREG_TESTS_SUPPORT_VERSION_RULE_H_
#define KREG_TESTS_SUPPORT_VERSION_RULE_H_

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>

#include "kreg/types.hpp"

namespace kreg {
namespace testing {

class VersionRule {
 public:
  // Takes the next event; returns what it breaks, or "" when nothing.
  std::string Check(const WatchEvent& e);

  // The version of `service`'s last event; 0 when it had none.
  int64_t last(const std::string& service) const;

 private:
  struct PerService {
    int64_t version = 0;
    std::set<std::pair<EventInfo, std::string>> keys;  // of the events at `version`
  };
  std::map<std::string, PerService> services_;
};

}  // namespace testing
}  // namespace kreg

#endif  // KREG_TESTS_SUPPORT_VERSION_RULE_H_
