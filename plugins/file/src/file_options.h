// The file backend's options (registry.options in the YAML config).
#ifndef KREG_PLUGINS_FILE_FILE_OPTIONS_H_
#define KREG_PLUGINS_FILE_FILE_OPTIONS_H_

#include <chrono>
#include <string>

#include "kreg/plugin.hpp"
#include "kreg/status.hpp"

namespace kreg {
namespace file {

struct FileOptions {
  // Absolute path of the registry file, symbolic links resolved. Its lock
  // is `path + ".lock"`.
  std::string path;
  // How long a change waits for the file's lock (registry.timeout).
  std::chrono::milliseconds timeout{5000};
};

// Reads config.options: `path` (required, relative to the current
// directory) is the only option; any other is INVALID_ARGUMENT naming it.
// The file's directory must exist: the plugin never creates directories, so
// a typo in the path fails here instead of scattering registry files.
//
// A path that is a symbolic link (or a chain of them) is resolved to the
// file it names, once: every process, whatever name it uses, then shares
// one file and one lock, and a write replaces the target, not the link. A
// link to a missing file is fine (the first write creates it) when the
// target's directory exists.
//
// config.timeout, when set, replaces the default timeout.
Status ParseFileOptions(const plugin::Config& config, FileOptions* out);

}  // namespace file
}  // namespace kreg

#endif  // KREG_PLUGINS_FILE_FILE_OPTIONS_H_
