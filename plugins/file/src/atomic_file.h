// Whole-file reads and crash-safe whole-file replacement.
#ifndef KREG_PLUGINS_FILE_ATOMIC_FILE_H_
#define KREG_PLUGINS_FILE_ATOMIC_FILE_H_

#include <sys/types.h>

#include <cstdint>
#include <functional>
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
// and empty *contents; anything there but a regular file (a FIFO, a
// device) is NotARegularFile, without waiting for it or reading it. The
// identity is that of the content read.
Status ReadFile(const std::string& path, std::string* contents, FileIdentity* identity);

// CORRUPT: what is at `path` (of type `mode`) is no registry file.
Status NotARegularFile(const std::string& path, mode_t mode);

// Replaces `path` with `contents` so that a crash at any point leaves
// either the old or the new content, never a mix: writes a temporary file
// of this call's own beside it (`path` + ".tmp-" + a unique suffix, created
// exclusively, so nothing already there is followed or shared), fsyncs it,
// asks `may_commit`, renames it over `path`, fsyncs the directory. The new
// file keeps the old one's permission bits (not its owner). Writing
// nothing: PERMISSION_DENIED when this process may not write the file
// itself, or what `may_commit` answered when it is not OK (the caller's
// last look, e.g. at its lock, as late as it can be taken). On success
// *identity is that of the new file.
Status ReplaceFile(const std::string& path, const std::string& contents, const std::function<Status()>& may_commit,
                   FileIdentity* identity);

// Removes the temporary files of ReplaceFile(path) that writers killed
// mid-write left behind. REQUIRES: the caller holds the file's lock, so no
// writer that keeps to it is using one.
void RemoveTempFiles(const std::string& path);

}  // namespace file
}  // namespace kreg

#endif  // KREG_PLUGINS_FILE_ATOMIC_FILE_H_
