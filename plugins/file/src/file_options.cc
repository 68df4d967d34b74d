#include "file_options.h"

#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "path_util.h"

namespace kreg {
namespace file {

namespace {

// As the kernel's limit on links followed in one path lookup.
constexpr int kMaxLinks = 40;

// Resolves `path` (absolute) as ParseFileOptions describes; `configured`
// is what the config said, for errors.
Status ResolvePath(const std::string& configured, std::string path, std::string* out) {
  const std::string option = "registry.options.path \"" + configured + "\"";
  for (int links = 0; links <= kMaxLinks; ++links) {
    const std::string dir = DirName(path);
    char real_dir[PATH_MAX];
    struct stat st;
    if (realpath(dir.c_str(), real_dir) == nullptr || stat(real_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
      if (links == 0) {
        return Status::InvalidArgument(option + ": directory " + dir + " does not exist; create it first");
      }
      return Status::InvalidArgument(option + " is a symbolic link to " + path + ", whose directory " + dir +
                                     " does not exist; create it or fix the link");
    }
    path = (std::strcmp(real_dir, "/") == 0 ? "/" : std::string(real_dir) + "/") + BaseName(path);
    bool exists = lstat(path.c_str(), &st) == 0;
    if (exists && S_ISDIR(st.st_mode)) {
      return Status::InvalidArgument(option + " names a directory (" + path + "); name a file");
    }
    if (exists && !S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode)) {
      return Status::InvalidArgument(option + " names " + path +
                                     ", which is not a regular file (a FIFO, a device or a socket); name a file");
    }
    if (!exists || !S_ISLNK(st.st_mode)) {
      *out = std::move(path);
      return Status::OK();
    }
    char target[PATH_MAX];
    ssize_t n = readlink(path.c_str(), target, sizeof(target));
    if (n < 0 || n == sizeof(target)) {
      return Status::InvalidArgument(option + ": cannot read the symbolic link " + path + ": " +
                                     (n < 0 ? std::strerror(errno) : "its target is too long"));
    }
    std::string next(target, static_cast<size_t>(n));
    path = next.front() == '/' ? next : DirName(path) + "/" + next;
  }
  return Status::InvalidArgument(option + ": more than " + std::to_string(kMaxLinks) +
                                 " symbolic links to follow (a loop?); point it at the file");
}

}  // namespace

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
  Status s = ResolvePath(it->second, path, &out->path);
  if (!s.ok()) return s;
  if (config.timeout.count() > 0) out->timeout = config.timeout;
  return Status::OK();
}

}  // namespace file
}  // namespace kreg
