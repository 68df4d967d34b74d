#include "file_store.h"

#include <algorithm>
#include <limits>
#include <string_view>
#include <utility>

#include "clock.h"
#include "file_lock.h"

namespace kreg {
namespace file {

namespace {

// Tells versions of the file apart for a writer; not a defence against
// someone crafting a collision, who could as well write the file.
uint64_t ContentHash(std::string_view bytes) { return std::hash<std::string_view>()(bytes); }

}  // namespace

FileStore::FileStore(std::string path, std::chrono::milliseconds timeout, plugin::Logger log)
    : path_(std::move(path)), lock_path_(path_ + ".lock"), timeout_(timeout), log_(log) {}

Status FileStore::Parse(const std::string& bytes, const FileIdentity& identity,
                        std::unique_ptr<Document>* out) const {
  auto doc = std::make_unique<Document>(path_);
  if (identity.exists) {
    Status s = Document::Parse(path_, bytes, doc.get());
    if (!s.ok()) return s;
  }
  *out = std::move(doc);
  return Status::OK();
}

bool FileStore::WentBackLocked(int64_t revision) const {
  // A missing file is an empty registry, not an older one: its next write
  // is above every earlier revision anyway (file_format.h); so is one
  // that exists and holds no revision yet.
  return revision > 0 && revision < highest_revision_;
}

Status FileStore::ReadCached(int64_t now_ms, std::shared_ptr<const Snapshot>* out, bool* current,
                             bool* went_back) {
  std::lock_guard<std::mutex> lock(mu_);
  FileIdentity identity;
  Status s = StatFile(path_, &identity);
  if (!s.ok()) return s;
  // A writer may have the document out: the snapshot serves meanwhile.
  bool cached = identity == cache_.identity && (cache_.snapshot != nullptr || cache_.doc != nullptr);
  if (!cached) {
    std::string bytes;
    s = ReadFile(path_, &bytes, &identity);
    if (!s.ok()) return s;
    std::unique_ptr<Document> doc;
    s = Parse(bytes, identity, &doc);
    if (!s.ok()) return s;
    cache_ = Cache();
    cache_.identity = identity;
    cache_.content_hash = ContentHash(bytes);
    cache_.doc = std::move(doc);
  }
  if (cache_.snapshot == nullptr) {
    cache_.snapshot = std::make_shared<const Snapshot>(DecodeSnapshot(*cache_.doc, last_snapshot_.get(), log_));
    last_snapshot_ = cache_.snapshot;
  }
  const int64_t revision = cache_.snapshot->revision;
  *went_back = WentBackLocked(revision);
  *current = !*went_back && cache_.snapshot->earliest_expiry_ms >= now_ms;
  if (!*went_back) highest_revision_ = std::max(highest_revision_, revision);
  *out = cache_.snapshot;
  return Status::OK();
}

Status FileStore::Read(int64_t now_ms, std::shared_ptr<const Snapshot>* out) {
  bool current = false;
  bool went_back = false;
  Status s = ReadCached(now_ms, out, &current, &went_back);
  if (!s.ok() || current) return s;
  // An empty mutation: the write itself removes the lapsed leases and
  // raises the versions of a file that went back. Readers never wait for
  // the lock, so it is tried once.
  s = UpdateUntil(now_ms, [](Document*) { return Status::OK(); }, std::chrono::steady_clock::now());
  if (!s.ok() && went_back) {
    // Its versions may have been handed out for other content: never
    // served as they are.
    return Status(s.code(), "cannot read " + path_ + ": it went back to an older copy and restamping it failed: " +
                                s.message());
  }
  if (!s.ok()) {
    // The lock is busy or the file not writable here: served as it is,
    // with the lapsed leases hidden by ToService, until a writer removes
    // them.
    log_.Debug("file: lapsed leases stay in " + path_ + " for now: " + s.message());
  }
  // Only a file replaced again meanwhile is not current now; it is served
  // as it is rather than chased, unless it went back.
  s = ReadCached(now_ms, out, &current, &went_back);
  if (s.ok() && went_back) {
    return Status::Unavailable("cannot read " + path_ + ": it was just replaced by an older copy; retry");
  }
  return s;
}

std::unique_ptr<Document> FileStore::TakeCachedDocument(const FileIdentity& identity, uint64_t content_hash) {
  std::lock_guard<std::mutex> lock(mu_);
  if (cache_.doc == nullptr || cache_.identity.exists != identity.exists || cache_.content_hash != content_hash) {
    return nullptr;
  }
  return std::move(cache_.doc);
}

void FileStore::CacheDocument(const FileIdentity& identity, uint64_t content_hash, std::unique_ptr<Document> doc) {
  std::lock_guard<std::mutex> lock(mu_);
  highest_revision_ = std::max(highest_revision_, doc->revision());
  // A reader may have decoded this very content meanwhile.
  if (!(cache_.identity == identity && cache_.content_hash == content_hash)) cache_.snapshot = nullptr;
  cache_.identity = identity;
  cache_.content_hash = content_hash;
  cache_.doc = std::move(doc);
}

Status FileStore::Update(int64_t now_ms, const Mutation& mutate) {
  return UpdateUntil(now_ms, mutate, std::chrono::steady_clock::now() + timeout_);
}

Status FileStore::UpdateUntil(int64_t now_ms, const Mutation& mutate, std::chrono::steady_clock::time_point deadline) {
  {
    std::unique_lock<std::mutex> lock(write_mu_);
    if (!write_turn_free_.wait_until(lock, deadline, [this] { return !writing_; })) return LockTimeout(lock_path_);
    writing_ = true;
  }
  // Ends the turn on every way out, an exception from `mutate` included.
  struct EndTurn {
    FileStore* store;
    ~EndTurn() {
      {
        std::lock_guard<std::mutex> lock(store->write_mu_);
        store->writing_ = false;
      }
      store->write_turn_free_.notify_one();
    }
  } end_turn{this};
  return UpdateInTurn(now_ms, mutate, deadline);
}

Status FileStore::UpdateInTurn(int64_t now_ms, const Mutation& mutate,
                               std::chrono::steady_clock::time_point deadline) {
  FileLock file_lock;
  Status s = file_lock.Acquire(lock_path_, deadline);
  if (!s.ok()) return s;
  if (!temp_files_removed_) {
    RemoveTempFiles(path_);
    temp_files_removed_ = true;
  }
  FileIdentity identity;
  s = ReadFile(path_, &read_buffer_, &identity);
  if (!s.ok()) return s;
  uint64_t content_hash = ContentHash(read_buffer_);
  std::unique_ptr<Document> doc = TakeCachedDocument(identity, content_hash);
  if (doc == nullptr) {
    s = Parse(read_buffer_, identity, &doc);
    if (!s.ok()) return s;
  }
  // From here on a failure drops the document: it may be half changed.
  int64_t highest = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    highest = highest_revision_;
  }
  if (highest == std::numeric_limits<int64_t>::max()) {
    return Status::Corrupt("this process has seen revision " + std::to_string(highest) + " of " + path_ +
                           ", the largest there is, so no change can be stored; restart it with a new file");
  }
  s = doc->BeginWrite(std::max(highest + 1, NowUs()));
  if (!s.ok()) return s;
  // The lock may have taken a while: what lapsed meanwhile goes now, so no
  // write renews a lease that readers already hid.
  now_ms = std::max(now_ms, NowMs());
  if (identity.exists && doc->revision() > 0 && doc->revision() < highest) {
    log_.Warn("file: " + path_ + " went back to revision " + std::to_string(doc->revision()) +
              " (an older copy?); every version in it is raised above " + std::to_string(highest));
    doc->RestampAll();
  }
  int expired = doc->SweepExpired(now_ms);
  if (expired > 0) log_.Debug("file: " + std::to_string(expired) + " expired instance(s) removed from " + path_);
  s = mutate(doc.get());
  if (!s.ok()) return s;
  if (doc->dirty()) {
    const std::string bytes = doc->Serialize();
    s = ReplaceFile(path_, bytes, [&file_lock] { return file_lock.Check(); }, &identity);
    if (!s.ok()) return s;
    doc->MarkSaved();
    content_hash = ContentHash(bytes);
    log_.Debug("file: wrote " + path_ + " at revision " + std::to_string(doc->revision()));
  }
  CacheDocument(identity, content_hash, std::move(doc));
  return Status::OK();
}

}  // namespace file
}  // namespace kreg
