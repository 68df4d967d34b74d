// Whole-file reads and crash-safe whole-file replacement.
#ifndef KREG_PLUGINS_FILE_ATOMIC_FILE_H_
#define KREG_PLUGINS_FILE_ATOMIC_FILE_H_

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "kreg/status.hpp"

namespace kreg {
namespace file {

// Which version of a file's content was read. Every replacement is a new
// inode (written, then renamed over), so an unchanged identity almost
// always means unchanged content: enough for a reader to reuse a cached
// parse, not for a writer (an inode reused with the same size within one
// mtime tick looks unchanged; see FileStore).
struct FileIdentity {
  bool exists = false;
  dev_t dev = 0;
  ino_t ino = 0;
  off_t size = 0;
  int64_t mtime_ns = 0;

  bool operator==(const FileIdentity& o) const {
    return exists == o.exists && dev == o.dev && ino == o.ino && size == o.size && mtime_ns == o.mtime_ns;
  }
};

// Identifies the file at `path` without reading it. A missing file is OK
// with identity->exists == false.
Status StatFile(const std::string& path, FileIdentity* identity);

// Reads the whole file. A missing file is OK with identity->exists == false
// and empty *contents. The identity is that of the content read.
Status ReadFile(const std::string& path, std::string* contents, FileIdentity* identity);

// Replaces `path` with `contents` so that a crash at any point leaves
// either the old or the new content, never a mix: writes `path + ".tmp"`,
// fsyncs it, renames it over `path`, fsyncs the directory. The new file
// keeps the old one's permission bits (not its owner).
// REQUIRES: the caller holds the file's lock (the temp name is fixed).
// On success *identity is that of the new file.
Status ReplaceFile(const std::string& path, const std::string& contents, FileIdentity* identity);

}  // namespace file
}  // namespace kreg

#endif  // KREG_PLUGINS_FILE_ATOMIC_FILE_H_
