// The YAML config of a kreg host (README "Configuration").
//
//   registry:
//     plugin: file                 # a name looked up in the plugin dirs, or a path
//     plugin_dir: build/plugins    # optional; searched first
//     addrs: [127.0.0.1:2181]
//     timeout: 5s
//     root: /discovery
//     username: keeper             # optional
//     password_env: KREG_PASSWORD  # the password is read from this variable
//     options: {session_timeout: 10s}
//   log:
//     level: info                  # trace, debug, info, warn, error, off
//
// Unknown keys are errors. Relative paths are relative to the current
// directory.
#ifndef KREG_HOST_CONFIG_H_
#define KREG_HOST_CONFIG_H_

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "kreg/kreg.h"
#include "kreg/status.hpp"
#include "kreg/types.hpp"

namespace kreg {
namespace host {

struct Config {
  std::string source;  // the file it was read from, for messages
  std::string plugin;
  std::string plugin_dir;
  std::vector<std::string> addrs;
  std::chrono::milliseconds timeout{0};
  std::string root;
  std::string username;
  std::string password_env;
  StringMap options;
  kreg_log_level log_level = KREG_LOG_INFO;
};

// Reads and checks a config file. Errors name the file, the key and its
// line:column.
Status LoadConfig(const std::string& path, Config* out);
// The same, from text; `source` names it in errors.
Status ParseConfig(std::string_view yaml, const std::string& source, Config* out);

Status ParseLogLevel(std::string_view text, kreg_log_level* out);

}  // namespace host
}  // namespace kreg

#endif  // KREG_HOST_CONFIG_H_
