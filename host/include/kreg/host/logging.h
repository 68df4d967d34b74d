// The bridge from plugin log sinks to spdlog.
#ifndef KREG_HOST_LOGGING_H_
#define KREG_HOST_LOGGING_H_

#include <string>

#include "kreg/kreg.h"
#include "kreg/registry.hpp"

namespace kreg {
namespace host {

// A LogFunction that writes to the spdlog logger named "kreg.<plugin>"
// (created on first use, sharing the default logger's sinks). Thread-safe.
LogFunction PluginLogFunction(const std::string& plugin_name);

// Sets the level of the default logger and of every kreg logger.
void SetLogLevel(kreg_log_level level);

}  // namespace host
}  // namespace kreg

#endif  // KREG_HOST_LOGGING_H_
