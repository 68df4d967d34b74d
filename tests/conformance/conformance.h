// The conformance suite: one set of GoogleTest cases that every backend
// must pass, run through the host and the C ABI like keeper runs them.
//
// A target is a config naming a plugin. Tests isolate themselves by
// service name (each uses fresh, unique names), so targets may share one
// backend and need no cleanup between tests.
//
// Run it against your own plugin:  kreg-conformance --config my.yaml
// In-tree runners may add targets in code before calling RunConformance.
#ifndef KREG_TESTS_CONFORMANCE_CONFORMANCE_H_
#define KREG_TESTS_CONFORMANCE_CONFORMANCE_H_

#include <chrono>
#include <ostream>
#include <string>

#include "kreg/host/config.h"

namespace kreg {
namespace testing {

struct ConformanceTarget {
  std::string name;  // test-name suffix: [A-Za-z0-9_]
  host::Config config;
  // How long past its TTL an unrenewed instance may linger (lease thread
  // period, session timeout).
  std::chrono::milliseconds expiry_grace{3000};
};

void AddConformanceTarget(const ConformanceTarget& target);

// Test output names a target by its name, not by its bytes.
void PrintTo(const ConformanceTarget& target, std::ostream* os);

// Parses --config FILE (repeatable) into targets, then runs every test.
int RunConformance(int argc, char** argv);

}  // namespace testing
}  // namespace kreg

#endif  // KREG_TESTS_CONFORMANCE_CONFORMANCE_H_
