// ZooKeeper's digest identity: the id a server stores in an ACL for a
// client that authenticated with `zoo_add_auth(zh, "digest", "user:password")`
// and created a node with the "auth" scheme.
#ifndef KREG_PLUGINS_ZOOKEEPER_DIGEST_H_
#define KREG_PLUGINS_ZOOKEEPER_DIGEST_H_

#include <string>

namespace kreg {
namespace zk {

// "user:" + base64(sha1("user:password")), as the server's
// DigestAuthenticationProvider computes it: comparing an ACL entry's id
// with this tells whether the entry names these credentials.
std::string DigestId(const std::string& user, const std::string& password);

}  // namespace zk
}  // namespace kreg

#endif  // KREG_PLUGINS_ZOOKEEPER_DIGEST_H_
