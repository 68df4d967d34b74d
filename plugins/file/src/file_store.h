// FileStore: reads and read-modify-writes of one registry file, shared by
// a backend and its watches.
//
// Readers take no file lock: a writer replaces the file by rename, so a
// read sees one whole version. Writers serialize on the sidecar lock
// `<path>.lock` (across processes) and on a mutex (across threads) and
// re-read under the lock, so no write is lost.
//
// The last version read or written is cached with its FileIdentity; an
// operation on an unchanged file neither re-reads nor re-parses it.
//
// Thread-safe.
#ifndef KREG_PLUGINS_FILE_FILE_STORE_H_
#define KREG_PLUGINS_FILE_FILE_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "atomic_file.h"
#include "document.h"
#include "kreg/plugin.hpp"
#include "kreg/status.hpp"
#include "snapshot.h"

namespace kreg {
namespace file {

class FileStore {
 public:
  FileStore(std::string path, plugin::Logger log);
  FileStore(const FileStore&) = delete;
  FileStore& operator=(const FileStore&) = delete;

  const std::string& path() const { return path_; }

  // The file's current content, decoded; a missing file is an empty
  // registry. CORRUPT (and nothing cached) when it is not a kreg file.
  Status Read(std::shared_ptr<const Snapshot>* out);

  // Changes the file: under the lock, re-reads it, removes expired leases
  // (each removal a change), applies `mutate`, and writes the result if
  // anything changed. When `mutate` fails nothing is written.
  // CORRUPT, writing nothing, when the file is not a kreg file.
  using Mutation = std::function<Status(Document* doc)>;
  Status Update(int64_t now_ms, const Mutation& mutate);

 private:
  // Makes cache_ hold the file's current content. REQUIRES: mu_ held.
  Status LoadLocked();

  struct Cache {
    FileIdentity identity;
    std::unique_ptr<Document> doc;             // null: nothing cached
    std::shared_ptr<const Snapshot> snapshot;  // decoded from doc on demand
  };

  const std::string path_;
  const std::string lock_path_;
  const plugin::Logger log_;
  std::mutex mu_;
  Cache cache_;  // guarded by mu_
  // The last snapshot decoded, whatever version of the file it was: the
  // next decode reuses its unchanged entries. Guarded by mu_.
  std::shared_ptr<const Snapshot> last_snapshot_;
};

}  // namespace file
}  // namespace kreg

#endif  // KREG_PLUGINS_FILE_FILE_STORE_H_
