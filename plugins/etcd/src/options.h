// The etcd backend's settings, read from kreg::plugin::Config.
#ifndef KREG_PLUGINS_ETCD_OPTIONS_H_
#define KREG_PLUGINS_ETCD_OPTIONS_H_

#include <chrono>
#include <string>
#include <vector>

#include "kreg/plugin.hpp"
#include "kreg/status.hpp"

namespace kreg {
namespace etcd {

struct Tls {
  std::string ca_file;    // verifies the servers; empty: the system's CAs
  std::string cert_file;  // client certificate, with key_file
  std::string key_file;
  bool enabled() const { return !ca_file.empty() || !cert_file.empty(); }
};

struct Options {
  // Base URLs, "http://host:port" or "https://host:port", tried in turn.
  std::vector<std::string> endpoints;
  std::string root;  // absolute, no trailing slash; keys are "<root>/<service>/..."
  std::chrono::milliseconds timeout{5000};           // per kreg operation
  std::chrono::milliseconds session_timeout{10000};  // the TTL of the backend's lease
  // A watch stream that brings nothing (not even a progress notification)
  // for this long is taken for dead and opened again where it stopped.
  std::chrono::milliseconds watch_idle_timeout{60000};
  std::string username;  // empty: no authentication
  std::string password;  // never logged
  Tls tls;
};

// Fills *out from `config`: addrs must be non-empty, each "host:port" (http,
// or https when a TLS option is set) or an http(s):// URL; root defaults to
// /discovery; timeout to 5s. Backend-specific options are
//   session_timeout     a duration, default 10s (etcd grants whole seconds, at least 1)
//   watch_idle_timeout  a duration, default 60s
//   ca_file, cert_file, key_file   TLS (cert_file and key_file together)
// Any other option is INVALID_ARGUMENT naming it, so a typo is not ignored.
Status ParseOptions(const plugin::Config& config, Options* out);

}  // namespace etcd
}  // namespace kreg

#endif  // KREG_PLUGINS_ETCD_OPTIONS_H_
