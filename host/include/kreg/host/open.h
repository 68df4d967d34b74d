// Turning a config into a ready kreg::Registry: load the plugin it names,
// check its ABI, bridge its log to spdlog, read the password from the
// environment, create the backend.
#ifndef KREG_HOST_OPEN_H_
#define KREG_HOST_OPEN_H_

#include <string>

#include "kreg/host/config.h"
#include "kreg/registry.hpp"
#include "kreg/status.hpp"

namespace kreg {
namespace host {

Status OpenRegistry(const Config& config, Registry* out);

// LoadConfig, then OpenRegistry.
Status OpenRegistryFromFile(const std::string& config_path, Registry* out);

}  // namespace host
}  // namespace kreg

#endif  // KREG_HOST_OPEN_H_
