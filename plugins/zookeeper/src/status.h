// ZooKeeper result codes as kreg statuses.
#ifndef KREG_PLUGINS_ZOOKEEPER_STATUS_H_
#define KREG_PLUGINS_ZOOKEEPER_STATUS_H_

#include <cstdint>
#include <string>

#include "kreg/status.hpp"

namespace kreg {
namespace zk {

// Our own code for "the operation's deadline passed while a request was
// still outstanding"; distinct from every ZooKeeper code.
inline constexpr int kDeadlineExceeded = -100000;

// True for the codes after which the same request may succeed once the
// connection or the session is back.
bool IsRetryable(int rc);

// The status for ZooKeeper code `rc` (not ZOK) from operation `op` ("create",
// "read", ...) on `path`: connection loss and session expiry become
// UNAVAILABLE, timeouts TIMEOUT, ZNOAUTH PERMISSION_DENIED, and so on.
Status ZkStatus(int rc, const std::string& op, const std::string& path);

// zerror(rc), extended with kDeadlineExceeded.
std::string ZkErrorText(int rc);

// A session id as ZooKeeper's own tools print it ("0x1000a2b3c0000").
std::string Hex(int64_t v);

}  // namespace zk
}  // namespace kreg

#endif  // KREG_PLUGINS_ZOOKEEPER_STATUS_H_
