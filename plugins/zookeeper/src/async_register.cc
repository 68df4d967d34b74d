#include "async_register.h"

#include <algorithm>
#include <utility>

namespace kreg {
namespace zk {

namespace {

// How often the worker drops the finished registers it awaited, when no
// deadline comes sooner.
constexpr std::chrono::milliseconds kPrunePeriod{200};

}  // namespace

AsyncRegisterWorker::AsyncRegisterWorker(ExpireFn expire) : expire_(std::move(expire)) {
  thread_ = std::thread([this] { Run(); });
}

AsyncRegisterWorker::~AsyncRegisterWorker() { Close(); }

bool AsyncRegisterWorker::Post(std::function<void()> job) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return false;
    jobs_.push_back(std::move(job));
  }
  cv_.notify_one();
  return true;
}

void AsyncRegisterWorker::Await(const std::shared_ptr<AsyncRegister>& reg) {
  std::lock_guard<std::mutex> lock(mu_);
  awaited_.push_back(Awaited{reg->deadline.at, reg});
}

void AsyncRegisterWorker::Close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

std::vector<std::shared_ptr<AsyncRegister>> AsyncRegisterWorker::TakeAwaited() {
  std::vector<std::shared_ptr<AsyncRegister>> out;
  std::lock_guard<std::mutex> lock(mu_);
  for (const Awaited& a : awaited_) {
    std::shared_ptr<AsyncRegister> reg = a.reg.lock();
    if (reg != nullptr && reg->awaiting_reply()) out.push_back(std::move(reg));
  }
  awaited_.clear();
  return out;
}

void AsyncRegisterWorker::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    Clock::time_point wake = Clock::now() + kPrunePeriod;
    if (!awaited_.empty()) wake = std::min(wake, awaited_.front().at);
    cv_.wait_until(lock, wake, [this] { return closed_ || !jobs_.empty(); });
    const bool closing = closed_;
    std::deque<std::function<void()>> jobs;
    jobs.swap(jobs_);
    std::vector<std::shared_ptr<AsyncRegister>> expired;
    const Clock::time_point now = Clock::now();
    while (!closing && !awaited_.empty()) {
      std::shared_ptr<AsyncRegister> reg = awaited_.front().reg.lock();
      if (reg != nullptr && reg->awaiting_reply()) {
        if (awaited_.front().at > now) break;
        expired.push_back(std::move(reg));
      }
      awaited_.pop_front();
    }
    lock.unlock();
    for (auto& job : jobs) job();
    for (const auto& reg : expired) expire_(reg);
    lock.lock();
    if (closing && jobs_.empty()) return;
  }
}

}  // namespace zk
}  // namespace kreg
