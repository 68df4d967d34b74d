#include "options.h"

#include "kreg/duration.hpp"

namespace kreg {
namespace zk {

namespace {

constexpr const char* kDefaultRoot = "/discovery";

Status ParseRoot(const std::string& root, std::string* out) {
  std::string r = root.empty() ? kDefaultRoot : root;
  if (r[0] != '/') {
    return Status::InvalidArgument("zookeeper root \"" + r + "\" must be an absolute path such as /discovery");
  }
  while (r.size() > 1 && r.back() == '/') r.pop_back();
  if (r.find("//") != std::string::npos) {
    return Status::InvalidArgument("zookeeper root \"" + r + "\" has an empty path component");
  }
  *out = r;
  return Status::OK();
}

}  // namespace

Status ParseOptions(const plugin::Config& config, Options* out) {
  Options o;
  if (config.addrs.empty()) {
    return Status::InvalidArgument("zookeeper needs at least one address in addrs, e.g. [127.0.0.1:2181]");
  }
  for (const std::string& addr : config.addrs) {
    if (addr.empty() || addr.find(',') != std::string::npos || addr.find('/') != std::string::npos) {
      return Status::InvalidArgument("zookeeper address \"" + addr + "\" must be one host:port");
    }
    if (!o.hosts.empty()) o.hosts += ',';
    o.hosts += addr;
  }
  if (config.timeout.count() > 0) o.timeout = config.timeout;
  Status s = ParseRoot(config.root, &o.root);
  if (!s.ok()) return s;

  for (const auto& [key, value] : config.options) {
    if (key == "session_timeout") {
      s = ParseDuration(value, &o.session_timeout);
      if (!s.ok()) return Status::InvalidArgument("zookeeper option session_timeout: " + s.message());
      if (o.session_timeout.count() <= 0) {
        return Status::InvalidArgument("zookeeper option session_timeout must be positive");
      }
    } else if (key == "read_acl") {
      if (value == "world") {
        o.read_acl = ReadAcl::kWorld;
      } else if (value == "creator") {
        o.read_acl = ReadAcl::kCreator;
      } else {
        return Status::InvalidArgument("zookeeper option read_acl is \"" + value +
                                       "\"; use \"world\" or \"creator\"");
      }
    } else {
      return Status::InvalidArgument("unknown zookeeper option \"" + key +
                                     "\" (known: session_timeout, read_acl)");
    }
  }

  o.username = config.username;
  o.password = config.password;
  if (o.username.empty() && !o.password.empty()) {
    return Status::InvalidArgument("zookeeper password given without a username");
  }
  if (!o.username.empty() && o.password.empty()) {
    return Status::InvalidArgument("zookeeper username \"" + o.username +
                                   "\" has an empty password (set password_env)");
  }
  if (o.username.find(':') != std::string::npos) {
    return Status::InvalidArgument("zookeeper username \"" + o.username + "\" must not contain ':'");
  }
  if (o.read_acl == ReadAcl::kCreator && o.username.empty()) {
    return Status::InvalidArgument("zookeeper option read_acl=creator needs a username and password");
  }
  *out = std::move(o);
  return Status::OK();
}

}  // namespace zk
}  // namespace kreg
