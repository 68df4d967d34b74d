// The sample instance every suite registers, so that tests read alike and
// expectations about its fields hold everywhere.
#ifndef KREG_TESTS_SUPPORT_SAMPLE_H_
#define KREG_TESTS_SUPPORT_SAMPLE_H_

#include <string>

#include "kreg/types.hpp"

namespace kreg {
namespace testing {

// zone as given, env "test", hostname "host-<id>", addrs
// http=10.0.0.1:8080 and rpc=10.0.0.1:9000, metadata color=blue and
// weight=10, reg_time = update_time = 1700000000.
Instance MakeInstance(const std::string& service, const std::string& id, const std::string& zone = "z1");

}  // namespace testing
}  // namespace kreg

#endif  // KREG_TESTS_SUPPORT_SAMPLE_H_
