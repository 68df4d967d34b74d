#include "kreg/host/open.h"

#include <cstdlib>

#include "kreg/host/logging.h"
#include "kreg/host/plugin_loader.h"

namespace kreg {
namespace host {

Status OpenRegistry(const Config& config, Registry* out) {
  OpenOptions options;
  if (!config.password_env.empty()) {
    const char* password = std::getenv(config.password_env.c_str());
    if (password == nullptr) {
      return Status::InvalidArgument(config.source + ": registry.password_env names $" + config.password_env +
                                     ", which is not set; export it before starting");
    }
    options.password = password;
  }
  LoadedPlugin plugin;
  Status s = LoadPlugin(config.plugin, PluginSearchDirs(config.plugin_dir), &plugin);
  if (!s.ok()) return Status(s.code(), config.source + ": registry.plugin: " + s.message());

  options.addrs = config.addrs;
  options.timeout = config.timeout;
  options.root = config.root;
  options.username = config.username;
  options.options = config.options;
  options.log = PluginLogFunction(plugin.table->name);
  options.log_level = config.log_level;
  return Registry::Open(plugin.library, plugin.table, options, out);
}

Status OpenRegistryFromFile(const std::string& config_path, Registry* out) {
  Config config;
  Status s = LoadConfig(config_path, &config);
  return s.ok() ? OpenRegistry(config, out) : s;
}

}  // namespace host
}  // namespace kreg
