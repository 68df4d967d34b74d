#include "file_store.h"

#include <utility>

#include "file_lock.h"

namespace kreg {
namespace file {

FileStore::FileStore(std::string path, plugin::Logger log)
    : path_(std::move(path)), lock_path_(path_ + ".lock"), log_(log) {}

Status FileStore::LoadLocked() {
  FileIdentity identity;
  Status s = StatFile(path_, &identity);
  if (!s.ok()) return s;
  if (cache_.doc != nullptr && identity == cache_.identity) return Status::OK();
  cache_ = Cache();
  std::string bytes;
  s = ReadFile(path_, &bytes, &identity);
  if (!s.ok()) return s;
  auto doc = std::make_unique<Document>(path_);
  if (identity.exists) {
    s = Document::Parse(path_, bytes, doc.get());
    if (!s.ok()) return s;
  }
  cache_.identity = identity;
  cache_.doc = std::move(doc);
  return Status::OK();
}

Status FileStore::Read(std::shared_ptr<const Snapshot>* out) {
  std::lock_guard<std::mutex> lock(mu_);
  Status s = LoadLocked();
  if (!s.ok()) return s;
  if (cache_.snapshot == nullptr) {
    cache_.snapshot = std::make_shared<const Snapshot>(DecodeSnapshot(*cache_.doc, last_snapshot_.get(), log_));
    last_snapshot_ = cache_.snapshot;
  }
  *out = cache_.snapshot;
  return Status::OK();
}

Status FileStore::Update(int64_t now_ms, const Mutation& mutate) {
  std::lock_guard<std::mutex> lock(mu_);
  FileLock file_lock;
  Status s = file_lock.Acquire(lock_path_);
  if (s.ok()) s = LoadLocked();
  if (!s.ok()) return s;
  // The document is changed in place, so it leaves the cache until it is
  // known to match the file again.
  Cache taken = std::move(cache_);
  cache_ = Cache();
  Document& doc = *taken.doc;
  int expired = 0;
  s = doc.SweepExpired(now_ms, &expired);
  if (!s.ok()) return s;
  if (expired > 0) log_.Debug("file: " + std::to_string(expired) + " expired instance(s) removed from " + path_);
  s = mutate(&doc);
  if (!s.ok()) return s;
  if (doc.dirty()) {
    s = ReplaceFile(path_, doc.Serialize(), &taken.identity);
    if (!s.ok()) return s;
    doc.MarkSaved();
    taken.snapshot = nullptr;
    log_.Debug("file: wrote " + path_ + " at revision " + std::to_string(doc.revision()));
  }
  cache_ = std::move(taken);
  return Status::OK();
}

}  // namespace file
}  // namespace kreg
