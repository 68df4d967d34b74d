#include "support/sample.h"

namespace kreg {
namespace testing {

Instance MakeInstance(const std::string& service, const std::string& id, const std::string& zone) {
  Instance in;
  in.service_name = service;
  in.id = id;
  in.zone = zone;
  in.env = "test";
  in.hostname = "host-" + id;
  in.addrs["http"] = "10.0.0.1:8080";
  in.addrs["rpc"] = "10.0.0.1:9000";
  in.metadata["color"] = "blue";
  in.metadata["weight"] = "10";
  in.reg_time = in.update_time = 1700000000;
  return in;
}

}  // namespace testing
}  // namespace kreg
