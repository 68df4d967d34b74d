#include "completion.h"

#include <utility>

#include "status.h"

namespace kreg {
namespace zk {

namespace {

template <typename Fill>
void Complete(const void* ctx, int rc, Fill fill) {
  std::unique_ptr<Completion> completion(static_cast<Completion*>(const_cast<void*>(ctx)));
  Reply reply;
  reply.rc = rc;
  if (rc == ZOK) fill(&reply);
  completion->Done(std::move(reply));
}

class Callback : public Completion {
 public:
  explicit Callback(ReplyFn fn) : fn_(std::move(fn)) {}
  void Done(Reply&& reply) override { fn_(std::move(reply)); }

 private:
  ReplyFn fn_;
};

}  // namespace

void DataDone(int rc, const char* value, int value_len, const Stat* stat, const void* ctx) {
  Complete(ctx, rc, [&](Reply* r) {
    if (value != nullptr && value_len > 0) r->data.assign(value, static_cast<size_t>(value_len));
    if (stat != nullptr) r->stat = *stat;
  });
}

void ChildrenDone(int rc, const String_vector* strings, const Stat* stat, const void* ctx) {
  Complete(ctx, rc, [&](Reply* r) {
    if (strings != nullptr) {
      r->children.reserve(static_cast<size_t>(strings->count));
      for (int32_t i = 0; i < strings->count; ++i) r->children.emplace_back(strings->data[i]);
    }
    if (stat != nullptr) r->stat = *stat;
  });
}

void StatDone(int rc, const Stat* stat, const void* ctx) {
  Complete(ctx, rc, [&](Reply* r) {
    if (stat != nullptr) r->stat = *stat;
  });
}

void AclDone(int rc, ACL_vector* acl, Stat* stat, const void* ctx) {
  Complete(ctx, rc, [&](Reply* r) {
    if (acl != nullptr) {
      for (int32_t i = 0; i < acl->count; ++i) {
        const ACL& a = acl->data[i];
        r->acl.push_back(AclEntry{a.perms, a.id.scheme, a.id.id});
      }
    }
    if (stat != nullptr) r->stat = *stat;
  });
}

void StringDone(int rc, const char*, const void* ctx) {
  Complete(ctx, rc, [](Reply*) {});
}

void VoidDone(int rc, const void* ctx) {
  Complete(ctx, rc, [](Reply*) {});
}

const void* NewCallback(ReplyFn fn) { return new Callback(std::move(fn)); }

void DeleteContext(const void* ctx) { delete static_cast<Completion*>(const_cast<void*>(ctx)); }

class PendingCall::Slot : public Completion {
 public:
  Slot(std::shared_ptr<PendingCall> call, size_t index) : call_(std::move(call)), index_(index) {}
  void Done(Reply&& reply) override { call_->Fill(index_, std::move(reply)); }

 private:
  const std::shared_ptr<PendingCall> call_;
  const size_t index_;
};

std::shared_ptr<PendingCall> PendingCall::Make(size_t n) { return std::shared_ptr<PendingCall>(new PendingCall(n)); }

const void* PendingCall::Context(size_t index) { return new Slot(shared_from_this(), index); }

void PendingCall::Fill(size_t index, Reply&& reply) {
  bool last;
  {
    std::lock_guard<std::mutex> lock(mu_);
    replies_[index] = std::move(reply);
    done_[index] = true;
    last = --remaining_ == 0;
  }
  if (last) cv_.notify_all();
}

void PendingCall::Refused(size_t index, const void* ctx, int rc) {
  DeleteContext(ctx);
  std::lock_guard<std::mutex> lock(mu_);
  replies_[index].rc = rc;
  done_[index] = true;
  --remaining_;
}

std::vector<Reply> PendingCall::Await(const Deadline& deadline) {
  std::unique_lock<std::mutex> lock(mu_);
  while (remaining_ != 0 && !deadline.passed()) cv_.wait_for(lock, std::chrono::milliseconds(50));
  if (remaining_ == 0) return std::move(replies_);  // no completion writes any more
  std::vector<Reply> replies(replies_.size());
  for (size_t i = 0; i < replies.size(); ++i) {
    if (done_[i]) {
      replies[i] = replies_[i];
    } else {
      replies[i].rc = kDeadlineExceeded;
    }
  }
  return replies;
}

}  // namespace zk
}  // namespace kreg
