// Finding and loading backend plugins with Boost.DLL, and checking their
// ABI before anything else is called.
#ifndef KREG_HOST_PLUGIN_LOADER_H_
#define KREG_HOST_PLUGIN_LOADER_H_

#include <memory>
#include <string>
#include <vector>

#include "kreg/kreg.h"
#include "kreg/status.hpp"

namespace kreg {
namespace host {

struct LoadedPlugin {
  std::string path;
  // Keeps the shared library mapped; share it with everything that holds a
  // pointer into the plugin (kreg::Registry does).
  std::shared_ptr<const void> library;
  const kreg_plugin* table = nullptr;
};

// Where a plugin given by name is looked for, in order: `plugin_dir` (when
// not empty), each entry of $KREG_PLUGIN_PATH (colon-separated),
// <executable dir>/../plugins (kreg's build tree), then the dir where
// kreg_add_plugin installs plugins, as seen from an executable installed in
// the same prefix's bin dir (<executable dir>/../lib/kreg/plugins, or
// ../lib/x86_64-linux-gnu/kreg/plugins: whatever libdir kreg was built for).
std::vector<std::string> PluginSearchDirs(const std::string& plugin_dir);

// The file a plugin name maps to inside a directory: libkreg_<name>.so.
std::string PluginFileName(const std::string& name);

// `name_or_path` containing a '/' is a path; otherwise a name looked up in
// `dirs`. Errors: NOT_FOUND listing where it looked, INVALID_ARGUMENT for a
// path that is not a regular file, a file that is not a shared object, lacks
// the entry function or hands back a table with a member NULL, INCOMPATIBLE
// for another ABI major version.
Status LoadPlugin(const std::string& name_or_path, const std::vector<std::string>& dirs,
                  LoadedPlugin* out);

// Every loadable plugin in `dirs` (first match of a name wins); files that
// fail to load are returned with their error.
struct PluginListing {
  std::string path;
  Status status;
  const kreg_plugin* table = nullptr;  // valid while `library` lives
  std::shared_ptr<const void> library;
};
std::vector<PluginListing> ListPlugins(const std::vector<std::string>& dirs);

}  // namespace host
}  // namespace kreg

#endif  // KREG_HOST_PLUGIN_LOADER_H_
