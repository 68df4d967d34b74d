// Plain TCP on 127.0.0.1 for the server fixtures: free ports to hand a
// server, and one blocking request/answer exchange to ask it whether it
// serves (ZooKeeper's four-letter words, etcd's JSON gateway).
#ifndef KREG_TESTS_SUPPORT_LOOPBACK_H_
#define KREG_TESTS_SUPPORT_LOOPBACK_H_

#include <chrono>
#include <string>
#include <vector>

namespace kreg {
namespace testing {

// `count` distinct ports the kernel hands out for port 0 on 127.0.0.1 (all
// held until every one is picked); fewer when sockets run out. Another
// process may take one before the server binds it, so a fixture whose
// server fails to start tries again on fresh ports.
std::vector<int> FreeLoopbackPorts(int count);

// Connects to 127.0.0.1:`port`, sends `request`, and returns what comes
// back until the server closes the connection; "" when the connection is
// refused or nothing came. Each send and receive gives up after `timeout`,
// so a stopped (SIGSTOP) server, whose listening socket still accepts,
// answers "".
std::string LoopbackExchange(int port, const std::string& request, std::chrono::milliseconds timeout);

}  // namespace testing
}  // namespace kreg

#endif  // KREG_TESTS_SUPPORT_LOOPBACK_H_
