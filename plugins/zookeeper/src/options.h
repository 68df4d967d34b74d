// The ZooKeeper backend's settings, read from kreg::plugin::Config.
#ifndef KREG_PLUGINS_ZOOKEEPER_OPTIONS_H_
#define KREG_PLUGINS_ZOOKEEPER_OPTIONS_H_

#include <chrono>
#include <string>

#include "kreg/plugin.hpp"
#include "kreg/status.hpp"

namespace kreg {
namespace zk {

enum class ReadAcl { kWorld, kCreator };

struct Options {
  std::string hosts;  // the ensemble, "h1:p1,h2:p2", as zookeeper_init takes it
  std::string root;   // absolute, no trailing slash except for "/" itself
  std::chrono::milliseconds timeout{5000};           // per kreg operation
  std::chrono::milliseconds session_timeout{10000};  // asked of the server
  std::string username;  // empty: no authentication, open ACLs
  std::string password;  // never logged
  ReadAcl read_acl = ReadAcl::kWorld;
};

// Fills *out from `config`: addrs must be non-empty; root defaults to
// /discovery; timeout to 5s. Backend-specific options are
//   session_timeout  a duration ("10s"), default 10s
//   read_acl         "world" (default: anyone may read) or "creator"
// Any other option is INVALID_ARGUMENT naming it, so a typo is not ignored.
Status ParseOptions(const plugin::Config& config, Options* out);

}  // namespace zk
}  // namespace kreg

#endif  // KREG_PLUGINS_ZOOKEEPER_OPTIONS_H_
