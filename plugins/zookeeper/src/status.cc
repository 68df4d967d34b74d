#include "status.h"

#include <zookeeper/zookeeper.h>

#include <cstdio>

namespace kreg {
namespace zk {

bool IsRetryable(int rc) {
  return rc == ZCONNECTIONLOSS || rc == ZOPERATIONTIMEOUT || rc == ZSESSIONEXPIRED ||
         rc == ZINVALIDSTATE || rc == ZCLOSING || rc == ZSESSIONMOVED;
}

std::string ZkErrorText(int rc) {
  if (rc == kDeadlineExceeded) return "no answer before the deadline";
  return zerror(rc);
}

std::string Hex(int64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

Status ZkStatus(int rc, const std::string& op, const std::string& path) {
  std::string what = "zookeeper " + op + " " + path + ": " + ZkErrorText(rc);
  switch (rc) {
    case kDeadlineExceeded:
    case ZOPERATIONTIMEOUT:
      return Status::Timeout(what + " (raise timeout, or check the ensemble)");
    case ZCONNECTIONLOSS:
    case ZSESSIONEXPIRED:
    case ZINVALIDSTATE:
    case ZCLOSING:
    case ZSESSIONMOVED:
      return Status::Unavailable(what + " (the ensemble is unreachable; retry later)");
    case ZNOAUTH:
      return Status::PermissionDenied(what + " (the ACL refuses this identity; check username/password)");
    case ZAUTHFAILED:
    case ZINVALIDACL:
      return Status::PermissionDenied(what + " (check username/password)");
    case ZNONODE:
      return Status::NotFound(what);
    case ZBADARGUMENTS:
      return Status::InvalidArgument(what);
    case ZMARSHALLINGERROR:
      return Status::InvalidArgument(what + " (the request is larger than jute.maxbuffer?)");
    default:
      return Status::Internal(what);
  }
}

}  // namespace zk
}  // namespace kreg
