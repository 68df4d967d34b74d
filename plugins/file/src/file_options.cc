#include "file_options.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "path_util.h"

namespace kreg {
namespace file {

Status ParseFileOptions(const plugin::Config& config, FileOptions* out) {
  for (const auto& [key, value] : config.options) {
    if (key != "path") {
      return Status::InvalidArgument("unknown option registry.options." + key +
                                     " for the file backend; it takes only \"path\"");
    }
  }
  auto it = config.options.find("path");
  if (it == config.options.end() || it->second.empty()) {
    return Status::InvalidArgument(
        "the file backend needs the registry file's path: set registry.options.path");
  }
  std::string path = it->second;
  if (path.back() == '/') {
    return Status::InvalidArgument("registry.options.path \"" + path + "\" names a directory; name a file");
  }
  if (path.front() != '/') {
    char cwd[4096];
    if (getcwd(cwd, sizeof(cwd)) == nullptr) {
      return Status::Internal("cannot resolve registry.options.path \"" + path +
                              "\": getcwd failed: " + std::strerror(errno));
    }
    path = std::string(cwd) + "/" + path;
  }
  std::string dir = DirName(path);
  struct stat st;
  if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return Status::InvalidArgument("registry.options.path \"" + it->second + "\": directory " + dir +
                                   " does not exist; create it first");
  }
  out->path = std::move(path);
  return Status::OK();
}

}  // namespace file
}  // namespace kreg
