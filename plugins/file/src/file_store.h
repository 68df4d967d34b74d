// FileStore: reads and read-modify-writes of one registry file, shared by
// a backend and its watches.
//
// Readers take no file lock: a writer replaces the file by rename, so a
// read sees one whole version. Writers serialize on the sidecar lock
// `<path>.lock` (across processes) and on a mutex (across threads) and
// re-read under the lock, so no write is lost.
//
// Versions: a reader is only ever given a version the file holds for the
// content it is given. So a read that finds a lease lapsed (the content
// readers see changed, but not the file) first writes the file without it,
// and gets the new revision that write takes. Revisions are times (see
// file_format.h), so removing the file or writing an older copy back does
// not take new writes' versions back; a process that finds the file's
// revision below the highest it has seen (an older copy) rewrites it with
// every version raised to a new revision, before reading or writing it.
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

  // The file's current content, decoded, with no lease that ended before
  // `now_ms` (writing the file first when it holds one, or went back, as
  // described above); a missing file is an empty registry. CORRUPT (and
  // nothing cached) when it is not a kreg file; the error of that write
  // when it fails.
  Status Read(int64_t now_ms, std::shared_ptr<const Snapshot>* out);

  // Changes the file: under the lock, re-reads it, raises its versions if
  // it went back, removes the leases that ended before `now_ms`, applies
  // `mutate`, and writes the result if anything changed, all of it as one
  // new revision. When `mutate` fails nothing is written.
  // CORRUPT, writing nothing, when the file is not a kreg file.
  using Mutation = std::function<Status(Document* doc)>;
  Status Update(int64_t now_ms, const Mutation& mutate);

 private:
  struct Cache {
    FileIdentity identity;
    std::unique_ptr<Document> doc;             // null: nothing cached
    std::shared_ptr<const Snapshot> snapshot;  // decoded from doc on demand
  };

  // Makes cache_ hold the file's current content. REQUIRES: mu_ held.
  Status LoadLocked();
  // Read without its write: *current is false when the snapshot may not
  // be handed out before the file is written.
  Status ReadCached(int64_t now_ms, std::shared_ptr<const Snapshot>* out, bool* current);
  // True when the file `cache` holds has a revision below the highest this
  // store has handed out or written. REQUIRES: mu_ held.
  bool WentBackLocked(const Cache& cache) const;

  const std::string path_;
  const std::string lock_path_;
  const plugin::Logger log_;
  std::mutex mu_;
  Cache cache_;  // guarded by mu_
  // The last snapshot decoded, whatever version of the file it was: the
  // next decode reuses its unchanged entries. Guarded by mu_.
  std::shared_ptr<const Snapshot> last_snapshot_;
  // The highest revision handed out by Read or written. Guarded by mu_.
  int64_t highest_revision_ = 0;
};

}  // namespace file
}  // namespace kreg

#endif  // KREG_PLUGINS_FILE_FILE_STORE_H_
