#include "create_batcher.h"

#include <utility>
#include <vector>

namespace kreg {
namespace zk {

int CreateBatcher::CreateEphemeral(const std::string& path, const std::string& data, const Deadline& deadline) {
  Request self{&path, &data};
  std::unique_lock<std::mutex> lock(mu_);
  queue_.push_back(&self);
  while (!self.done) {
    if (sending_ == kMaxInFlight || queue_.empty()) {
      cv_.wait(lock);
      continue;
    }
    // This caller sends the next batch, its own request among it or not.
    ++sending_;
    std::vector<Request*> batch;
    size_t bytes = 0;
    while (!queue_.empty() && batch.size() < kMaxBatch &&
           (batch.empty() || bytes + queue_.front()->data->size() <= kMaxBatchBytes)) {
      bytes += queue_.front()->data->size();
      batch.push_back(queue_.front());
      queue_.pop_front();
    }
    lock.unlock();
    int rc;
    if (batch.size() == 1) {
      rc = Create(session_, *batch[0]->path, *batch[0]->data, ZOO_EPHEMERAL, deadline).rc;
    } else {
      std::vector<std::pair<std::string, std::string>> nodes;
      nodes.reserve(batch.size());
      for (const Request* r : batch) nodes.emplace_back(*r->path, *r->data);
      rc = CreateAll(session_, nodes, ZOO_EPHEMERAL, deadline);
    }
    lock.lock();
    for (Request* r : batch) {
      r->rc = rc;
      r->done = true;
    }
    --sending_;
    cv_.notify_all();
  }
  return self.rc;
}

}  // namespace zk
}  // namespace kreg
