// The conformance suite (tests/conformance) against the ZooKeeper plugin:
// starts a standalone server with the shared fixture, then runs every
// conformance case through the host, as keeper would.
#include <cstdio>

#include "conformance/conformance.h"
#include "support/zookeeper_server.h"

int main(int argc, char** argv) {
  std::string error;
  auto zk = kreg::testing::ZooKeeperServer::Start(1, &error);
  if (zk == nullptr) {
    std::fprintf(stderr, "kreg_zookeeper_conformance: %s\n", error.c_str());
    return 1;
  }
  kreg::testing::ConformanceTarget target;
  target.name = "zookeeper";
  target.config.source = "kreg_zookeeper_conformance";
  target.config.plugin = KREG_ZOOKEEPER_PLUGIN_PATH;
  target.config.addrs = zk->addrs();
  target.config.timeout = std::chrono::seconds(10);
  target.config.options["session_timeout"] = "4s";
  target.config.log_level = KREG_LOG_WARN;
  // The lease thread looks every 200 ms; the delete then takes a round trip.
  target.expiry_grace = std::chrono::milliseconds(3000);
  kreg::testing::AddConformanceTarget(target);
  return kreg::testing::RunConformance(argc, argv);
}
