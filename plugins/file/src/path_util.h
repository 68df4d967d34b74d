// Path helpers for absolute paths of files (not ending in '/').
#ifndef KREG_PLUGINS_FILE_PATH_UTIL_H_
#define KREG_PLUGINS_FILE_PATH_UTIL_H_

#include <string>

namespace kreg {
namespace file {

// "/a/b/c" -> "/a/b"; "/c" -> "/".
inline std::string DirName(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == 0 ? std::string("/") : path.substr(0, slash);
}

// "/a/b/c" -> "c".
inline std::string BaseName(const std::string& path) { return path.substr(path.rfind('/') + 1); }

}  // namespace file
}  // namespace kreg

#endif  // KREG_PLUGINS_FILE_PATH_UTIL_H_
