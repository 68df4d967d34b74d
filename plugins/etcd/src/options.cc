#include "options.h"

#include "kreg/duration.hpp"

namespace kreg {
namespace etcd {

namespace {

constexpr const char* kDefaultRoot = "/discovery";

Status ParseRoot(const std::string& root, std::string* out) {
  std::string r = root.empty() ? kDefaultRoot : root;
  if (r[0] != '/') {
    return Status::InvalidArgument("etcd root \"" + r + "\" must be an absolute path such as /discovery");
  }
  while (r.size() > 1 && r.back() == '/') r.pop_back();
  if (r == "/") r.clear();  // keys are "<root>/<service>/...", so "/" is the empty prefix
  if (r.find("//") != std::string::npos) {
    return Status::InvalidArgument("etcd root \"" + r + "\" has an empty path component");
  }
  *out = r;
  return Status::OK();
}

Status ParseEndpoint(const std::string& addr, bool tls, std::string* out) {
  std::string scheme = tls ? "https://" : "http://";
  std::string host_port = addr;
  for (const char* given : {"http://", "https://"}) {
    if (addr.rfind(given, 0) == 0) {
      scheme = given;
      host_port = addr.substr(scheme.size());
    }
  }
  while (!host_port.empty() && host_port.back() == '/') host_port.pop_back();
  const size_t colon = host_port.rfind(':');
  const bool valid = colon != std::string::npos && colon > 0 && colon + 1 < host_port.size() &&
                     host_port.find_first_of("/, ") == std::string::npos &&
                     host_port.find_first_not_of("0123456789", colon + 1) == std::string::npos;
  if (!valid) {
    return Status::InvalidArgument("etcd address \"" + addr +
                                   "\" must be host:port or http(s)://host:port, e.g. 127.0.0.1:2379");
  }
  *out = scheme + host_port;
  return Status::OK();
}

Status ParsePositiveDuration(const std::string& name, const std::string& value, std::chrono::milliseconds* out) {
  Status s = ParseDuration(value, out);
  if (!s.ok()) return Status::InvalidArgument("etcd option " + name + ": " + s.message());
  if (out->count() <= 0) return Status::InvalidArgument("etcd option " + name + " must be positive");
  return Status::OK();
}

}  // namespace

Status ParseOptions(const plugin::Config& config, Options* out) {
  Options o;
  Status s;
  for (const auto& [key, value] : config.options) {
    if (key == "session_timeout") {
      s = ParsePositiveDuration(key, value, &o.session_timeout);
      if (s.ok() && o.session_timeout < std::chrono::seconds(1)) {
        s = Status::InvalidArgument("etcd option session_timeout is " + value +
                                    "; etcd leases last whole seconds, so use 1s or more");
      }
    } else if (key == "watch_idle_timeout") {
      s = ParsePositiveDuration(key, value, &o.watch_idle_timeout);
    } else if (key == "ca_file") {
      o.tls.ca_file = value;
    } else if (key == "cert_file") {
      o.tls.cert_file = value;
    } else if (key == "key_file") {
      o.tls.key_file = value;
    } else {
      s = Status::InvalidArgument("unknown etcd option \"" + key +
                                  "\" (known: session_timeout, watch_idle_timeout, ca_file, cert_file, key_file)");
    }
    if (!s.ok()) return s;
  }
  if (o.tls.cert_file.empty() != o.tls.key_file.empty()) {
    return Status::InvalidArgument("etcd options cert_file and key_file go together; set both or neither");
  }

  if (config.addrs.empty()) {
    return Status::InvalidArgument("etcd needs at least one address in addrs, e.g. [127.0.0.1:2379]");
  }
  for (const std::string& addr : config.addrs) {
    std::string url;
    s = ParseEndpoint(addr, o.tls.enabled(), &url);
    if (!s.ok()) return s;
    o.endpoints.push_back(url);
  }
  if (config.timeout.count() > 0) o.timeout = config.timeout;
  s = ParseRoot(config.root, &o.root);
  if (!s.ok()) return s;

  o.username = config.username;
  o.password = config.password;
  if (o.username.empty() && !o.password.empty()) {
    return Status::InvalidArgument("etcd password given without a username");
  }
  if (!o.username.empty() && o.password.empty()) {
    return Status::InvalidArgument("etcd username \"" + o.username + "\" has an empty password (set password_env)");
  }
  *out = std::move(o);
  return Status::OK();
}

}  // namespace etcd
}  // namespace kreg
