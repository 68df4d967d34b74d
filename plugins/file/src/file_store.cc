#include "file_store.h"

#include <string_view>
#include <utility>

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

Status FileStore::Read(std::shared_ptr<const Snapshot>* out) {
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
  *out = cache_.snapshot;
  return Status::OK();
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
  // A reader may have decoded this very content meanwhile.
  if (!(cache_.identity == identity && cache_.content_hash == content_hash)) cache_.snapshot = nullptr;
  cache_.identity = identity;
  cache_.content_hash = content_hash;
  cache_.doc = std::move(doc);
}

Status FileStore::Update(int64_t now_ms, const Mutation& mutate) {
  const auto deadline = std::chrono::steady_clock::now() + timeout_;
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
  int expired = 0;
  s = doc->SweepExpired(now_ms, &expired);
  if (!s.ok()) return s;
  if (expired > 0) log_.Debug("file: " + std::to_string(expired) + " expired instance(s) removed from " + path_);
  s = mutate(doc.get());
  if (!s.ok()) return s;
  if (doc->dirty()) {
    const std::string bytes = doc->Serialize();
    s = ReplaceFile(path_, bytes, &identity);
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
