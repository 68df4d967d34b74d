// The conformance suite (tests/conformance) against the etcd plugin: starts
// one member with the shared fixture, then runs every conformance case
// through the host, as keeper would.
#include <cstdio>

#include "conformance/conformance.h"
#include "support/etcd_server.h"

int main(int argc, char** argv) {
  std::string error;
  auto etcd = kreg::testing::EtcdServer::Start(1, &error);
  if (etcd == nullptr) {
    std::fprintf(stderr, "kreg_etcd_conformance: %s\n", error.c_str());
    return 1;
  }
  kreg::testing::ConformanceTarget target;
  target.name = "etcd";
  target.config.source = "kreg_etcd_conformance";
  target.config.plugin = KREG_ETCD_PLUGIN_PATH;
  target.config.addrs = etcd->addrs();
  target.config.timeout = std::chrono::seconds(10);
  target.config.options["session_timeout"] = "2s";
  target.config.log_level = KREG_LOG_WARN;
  // A lapsed TTL is deleted by the maintenance thread at once; the watch
  // then sees it a round trip later.
  target.expiry_grace = std::chrono::milliseconds(3000);
  kreg::testing::AddConformanceTarget(target);
  return kreg::testing::RunConformance(argc, argv);
}
