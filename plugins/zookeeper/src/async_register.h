// AsyncRegister: one register in flight for ZkBackend::RegisterAsync, and
// the worker that finishes what the client's completion thread must not.
//
// A first register issues its create asynchronously and completes from the
// create's completion on the client's completion thread. Whatever is not
// the plain success (a node already there, missing parents, a lost
// connection, another session's node) needs blocking requests, which the
// completion thread must never make (requests.h): those are posted to the
// worker, which runs the synchronous register there. The worker also keeps
// the registers' deadlines: one whose reply has not come by then is
// expired there, so `done` reports TIMEOUT within the timeout even when the
// client notices a dead connection only later.
//
// Thread safety: all methods may be called from any thread.
#ifndef KREG_PLUGINS_ZOOKEEPER_ASYNC_REGISTER_H_
#define KREG_PLUGINS_ZOOKEEPER_ASYNC_REGISTER_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "deadline.h"
#include "kreg/plugin.hpp"
#include "kreg/types.hpp"

namespace kreg {
namespace zk {

struct AsyncRegister {
  Instance instance;
  RegisterOptions options;
  plugin::Backend::RegisterDone done;
  Deadline deadline;
  std::string key;   // HeldInstances::Key
  std::string path;  // the instance's node
  // Marks the held entry made for this create (HeldInstance::creating).
  uint64_t token = 0;

  // The create's reply, or the deadline, whichever comes first, decides
  // who finishes the register; the other leaves it alone.
  bool TakeReply() { return Claim(Stage::kAnswered); }
  bool TakeExpiry() { return Claim(Stage::kExpired); }
  bool awaiting_reply() const { return stage_.load() == Stage::kIssued; }

 private:
  enum class Stage { kIssued, kAnswered, kExpired };
  bool Claim(Stage to) {
    Stage from = Stage::kIssued;
    return stage_.compare_exchange_strong(from, to);
  }
  std::atomic<Stage> stage_{Stage::kIssued};
};

class AsyncRegisterWorker {
 public:
  using ExpireFn = std::function<void(const std::shared_ptr<AsyncRegister>&)>;

  // `expire` runs on the worker for each awaited register whose deadline
  // passed before its reply came.
  explicit AsyncRegisterWorker(ExpireFn expire);
  ~AsyncRegisterWorker();  // Close()
  AsyncRegisterWorker(const AsyncRegisterWorker&) = delete;
  AsyncRegisterWorker& operator=(const AsyncRegisterWorker&) = delete;

  // Runs `job` on the worker thread, which may block; false, and `job`
  // is not run, once Close has begun.
  bool Post(std::function<void()> job);
  // Keeps the deadline of `reg` until its reply is taken. Holds it weakly:
  // a register that finished is freed at once.
  void Await(const std::shared_ptr<AsyncRegister>& reg);
  // Runs the jobs already posted, then stops the thread; no expiry runs
  // after it.
  void Close();
  // After Close: the awaited registers still without a reply, for the
  // owner to end (a client closing drops replies it had not delivered).
  std::vector<std::shared_ptr<AsyncRegister>> TakeAwaited();

 private:
  struct Awaited {
    Clock::time_point at;
    std::weak_ptr<AsyncRegister> reg;
  };
  void Run();

  const ExpireFn expire_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  std::deque<Awaited> awaited_;  // in the order issued: deadlines ascending
  bool closed_ = false;
  std::thread thread_;
};

}  // namespace zk
}  // namespace kreg

#endif  // KREG_PLUGINS_ZOOKEEPER_ASYNC_REGISTER_H_
