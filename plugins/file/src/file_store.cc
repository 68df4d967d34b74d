#include "file_store.h"

#include <algorithm>
#include <utility>

#include "clock.h"
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

bool FileStore::WentBackLocked(const Cache& cache) const {
  // A missing file is an empty registry, not an older one: its next write
  // is above every earlier revision anyway (file_format.h).
  return cache.identity.exists && cache.doc->revision() < highest_revision_;
}

Status FileStore::ReadCached(int64_t now_ms, std::shared_ptr<const Snapshot>* out, bool* current) {
  std::lock_guard<std::mutex> lock(mu_);
  Status s = LoadLocked();
  if (!s.ok()) return s;
  if (cache_.snapshot == nullptr) {
    cache_.snapshot = std::make_shared<const Snapshot>(DecodeSnapshot(*cache_.doc, last_snapshot_.get(), log_));
    last_snapshot_ = cache_.snapshot;
  }
  *current = !WentBackLocked(cache_) && cache_.snapshot->earliest_expiry_ms >= now_ms;
  if (*current) highest_revision_ = std::max(highest_revision_, cache_.doc->revision());
  *out = cache_.snapshot;
  return Status::OK();
}

Status FileStore::Read(int64_t now_ms, std::shared_ptr<const Snapshot>* out) {
  bool current = false;
  Status s = ReadCached(now_ms, out, &current);
  if (!s.ok() || current) return s;
  // An empty mutation: Update itself removes the lapsed leases and raises
  // the versions of a file that went back.
  s = Update(now_ms, [](Document*) { return Status::OK(); });
  if (!s.ok()) {
    return Status(s.code(), "cannot read " + path_ + ": it holds lapsed leases or went back to an older copy, " +
                                "and removing or restamping them failed: " + s.message());
  }
  // Only a file replaced again meanwhile is not current now; it is served
  // as it is rather than chased.
  return ReadCached(now_ms, out, &current);
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
  doc.BeginWrite(std::max(highest_revision_ + 1, NowUs()));
  if (WentBackLocked(taken)) {
    log_.Warn("file: " + path_ + " went back to revision " + std::to_string(doc.revision()) +
              " (an older copy?); every version in it is raised above " + std::to_string(highest_revision_));
    doc.RestampAll();
  }
  int expired = doc.SweepExpired(now_ms);
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
  highest_revision_ = std::max(highest_revision_, doc.revision());
  cache_ = std::move(taken);
  return Status::OK();
}

}  // namespace file
}  // namespace kreg
