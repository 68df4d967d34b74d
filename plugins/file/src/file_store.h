// FileStore: reads and read-modify-writes of one registry file, shared by
// a backend and its watches.
//
// Readers take no file lock: a writer replaces the file by rename, so a
// read sees one whole version. Nor do they wait for a writer waiting for
// the lock. Writers take turns within the process, then take the sidecar
// lock `<path>.lock` (across processes), both within the timeout, and
// re-read under the lock, so no write is lost.
//
// Versions: a reader is given a version the file holds for the content it
// is given. So a read that finds a lease lapsed (the content readers see
// changed, but not the file) first writes the file without it, and gets
// the new revision that write takes; only while the lock is busy does it
// get the file as it is, the lapse hidden at the old version (ToService). Revisions are times (see
// file_format.h), so removing the file or writing an older copy back does
// not take new writes' versions back; a process that finds the file's
// revision below the highest it has seen (an older copy) rewrites it with
// every version raised to a new revision, before reading or writing it.
//
// The last version read or written is cached. A reader reuses it while the
// file's FileIdentity is unchanged; a writer reads the whole file under the
// lock and reuses the parse only when the content is the same, so that it
// never applies its change to a stale copy (a stat can miss a change: an
// inode reused with the same size within one mtime tick looks unchanged).
//
// Thread-safe.
#ifndef KREG_PLUGINS_FILE_FILE_STORE_H_
#define KREG_PLUGINS_FILE_FILE_STORE_H_

#include <chrono>
#include <condition_variable>
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
  // `timeout` bounds how long an Update waits for its turn to write.
  FileStore(std::string path, std::chrono::milliseconds timeout, plugin::Logger log);
  FileStore(const FileStore&) = delete;
  FileStore& operator=(const FileStore&) = delete;

  const std::string& path() const { return path_; }

  // The file's current content, decoded, with no lease that ended before
  // `now_ms` (writing the file first when it holds one, or went back, as
  // described above); a missing file is an empty registry. While another
  // writer holds the lock (or the file is not writable here) that write is
  // not waited for: the content is then the file's as it is, and ToService
  // hides the lapsed leases. CORRUPT (and nothing cached) when it is not a
  // kreg file; the error of that write when a file that went back cannot
  // be restamped.
  Status Read(int64_t now_ms, std::shared_ptr<const Snapshot>* out);

  // Changes the file: under the lock, re-reads it, raises its versions if
  // it went back, removes the leases that ended before `now_ms`, applies
  // `mutate`, and writes the result if anything changed, all of it as one
  // new revision. When `mutate` fails nothing is written.
  // CORRUPT, writing nothing, when the file is not a kreg file. TIMEOUT,
  // writing nothing, when the lock is not had within the timeout.
  using Mutation = std::function<Status(Document* doc)>;
  Status Update(int64_t now_ms, const Mutation& mutate);

 private:
  struct Cache {
    FileIdentity identity;
    uint64_t content_hash = 0;                 // of the bytes doc holds
    std::unique_ptr<Document> doc;             // null: none (or a writer has it)
    std::shared_ptr<const Snapshot> snapshot;  // decoded from doc on demand
  };

  // Parses `bytes`, read as `identity`; a missing file is an empty registry.
  Status Parse(const std::string& bytes, const FileIdentity& identity, std::unique_ptr<Document>* out) const;
  // The cached document when it was parsed from the same content, moved
  // out for a writer to change; null otherwise.
  std::unique_ptr<Document> TakeCachedDocument(const FileIdentity& identity, uint64_t content_hash);
  // Update, giving up at `deadline` (one try when it has passed).
  Status UpdateUntil(int64_t now_ms, const Mutation& mutate, std::chrono::steady_clock::time_point deadline);
  // Update's work once it has the turn to write.
  Status UpdateInTurn(int64_t now_ms, const Mutation& mutate, std::chrono::steady_clock::time_point deadline);
  // Caches `doc`, which holds the file's content as of `identity`.
  void CacheDocument(const FileIdentity& identity, uint64_t content_hash, std::unique_ptr<Document> doc);
  // Read without its write: *current is false when the snapshot may not
  // be handed out before the file is written, *went_back when its versions
  // may not be handed out at all.
  Status ReadCached(int64_t now_ms, std::shared_ptr<const Snapshot>* out, bool* current, bool* went_back);
  // True when a file that exists holds `revision`, below the highest this
  // store has handed out or written. REQUIRES: mu_ held.
  bool WentBackLocked(int64_t revision) const;

  const std::string path_;
  const std::string lock_path_;
  const std::chrono::milliseconds timeout_;
  const plugin::Logger log_;
  // One Update of this process at a time has the turn to write, through
  // its wait for the file lock; the others wait, up to their deadline, for
  // write_turn_free_. (A condition variable, not a timed mutex: TSan does
  // not see a timed mutex taken with a steady-clock deadline.)
  std::mutex write_mu_;
  std::condition_variable write_turn_free_;
  bool writing_ = false;  // guarded by write_mu_
  // What the Update with the turn read; kept so that reading the whole
  // file on every write allocates (and page-faults) nothing.
  std::string read_buffer_;
  // Whether this store's first write cleared the temporary files that
  // writers killed mid-write left (RemoveTempFiles). Used by the Update
  // with the turn.
  bool temp_files_removed_ = false;
  // Never held while waiting for the file lock, so readers never wait for
  // it.
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
