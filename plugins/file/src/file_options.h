// The file backend's options (registry.options in the YAML config).
#ifndef KREG_PLUGINS_FILE_FILE_OPTIONS_H_
#define KREG_PLUGINS_FILE_FILE_OPTIONS_H_

#include <string>

#include "kreg/plugin.hpp"
#include "kreg/status.hpp"

namespace kreg {
namespace file {

struct FileOptions {
  // Absolute path of the registry file. Its lock is `path + ".lock"`.
  std::string path;
};

// Reads config.options: `path` (required, relative to the current
// directory) is the only option; any other is INVALID_ARGUMENT naming it.
// The file's directory must exist: the plugin never creates directories, so
// a typo in the path fails here instead of scattering registry files.
Status ParseFileOptions(const plugin::Config& config, FileOptions* out);

}  // namespace file
}  // namespace kreg

#endif  // KREG_PLUGINS_FILE_FILE_OPTIONS_H_
