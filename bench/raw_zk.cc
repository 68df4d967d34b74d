#include "raw_zk.h"

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <thread>

namespace kreg {
namespace bench {

namespace {

// Counts completions and bounds how many calls are in flight.
class Window {
 public:
  explicit Window(int limit) : limit_(limit) {}
  void Acquire() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return in_flight_ < limit_; });
    ++in_flight_;
  }
  void Release(bool ok, size_t bytes = 0) {
    std::lock_guard<std::mutex> lock(mu_);
    --in_flight_;
    if (ok) ++succeeded_;
    bytes_ += bytes;
    cv_.notify_all();
  }
  void Drain() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return in_flight_ == 0; });
  }
  int succeeded() const { return succeeded_; }
  size_t bytes() const { return bytes_; }

 private:
  const int limit_;
  std::mutex mu_;
  std::condition_variable cv_;
  int in_flight_ = 0;
  int succeeded_ = 0;
  size_t bytes_ = 0;
};

struct ChildrenCall {
  Window* window;
  std::vector<std::string>* out;
};

// Completions: a getData counted off its Window (ctx), a getChildren
// appended to its ChildrenCall (ctx).
void CountData(int rc, const char*, int len, const Stat*, const void* ctx) {
  static_cast<Window*>(const_cast<void*>(ctx))->Release(rc == ZOK, len > 0 ? size_t(len) : 0);
}

void CollectChildren(int rc, const String_vector* children, const void* ctx) {
  auto* call = static_cast<ChildrenCall*>(const_cast<void*>(ctx));
  if (rc == ZOK) {
    for (int j = 0; j < children->count; ++j) call->out->emplace_back(children->data[j]);
  }
  call->window->Release(rc == ZOK);
}

}  // namespace

RawZk::RawZk(const std::string& connect) {
  zoo_set_debug_level(ZOO_LOG_LEVEL_ERROR);
  zh_ = zookeeper_init(connect.c_str(), nullptr, 30000, nullptr, nullptr, 0);
  // As kreg's session does: no name resolution on every turn of the I/O loop.
  if (zh_ != nullptr) zoo_set_servers_resolution_delay(zh_, 1000);
  for (int i = 0; i < 300 && zh_ != nullptr && zoo_state(zh_) != ZOO_CONNECTED_STATE; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (zh_ == nullptr || zoo_state(zh_) != ZOO_CONNECTED_STATE) {
    std::fprintf(stderr, "kreg-bench: raw ZooKeeper client cannot connect to %s\n", connect.c_str());
    std::exit(1);
  }
}

RawZk::~RawZk() { zookeeper_close(zh_); }

void RawZk::EnsurePath(const std::string& path) {
  for (size_t at = path.find('/', 1); ; at = path.find('/', at + 1)) {
    std::string prefix = at == std::string::npos ? path : path.substr(0, at);
    zoo_create(zh_, prefix.c_str(), nullptr, -1, &ZOO_OPEN_ACL_UNSAFE, 0, nullptr, 0);
    if (at == std::string::npos) break;
  }
}

bool RawZk::Create(const std::string& path, const std::string& data, int mode) {
  return zoo_create(zh_, path.c_str(), data.data(), static_cast<int>(data.size()), &ZOO_OPEN_ACL_UNSAFE, mode,
                    nullptr, 0) == ZOK;
}

int RawZk::PipelinedCreate(const std::vector<std::string>& paths, const std::vector<std::string>& payloads, int mode,
                           int window) {
  Window w(window);
  for (size_t i = 0; i < paths.size(); ++i) {
    const std::string& data = payloads.size() == 1 ? payloads[0] : payloads[i];
    w.Acquire();
    int rc = zoo_acreate(
        zh_, paths[i].c_str(), data.data(), static_cast<int>(data.size()), &ZOO_OPEN_ACL_UNSAFE, mode,
        [](int result, const char*, const void* ctx) { static_cast<Window*>(const_cast<void*>(ctx))->Release(result == ZOK); },
        &w);
    if (rc != ZOK) w.Release(false);
  }
  w.Drain();
  return w.succeeded();
}

std::vector<std::string> RawZk::Children(const std::string& path) {
  String_vector children{};
  std::vector<std::string> out;
  if (zoo_get_children(zh_, path.c_str(), 0, &children) != ZOK) return out;
  for (int i = 0; i < children.count; ++i) out.emplace_back(children.data[i]);
  deallocate_String_vector(&children);
  return out;
}

size_t RawZk::PipelinedGet(const std::vector<std::string>& paths, int window) {
  Window w(window);
  for (const auto& path : paths) {
    w.Acquire();
    int rc = zoo_aget(zh_, path.c_str(), 0, &CountData, &w);
    if (rc != ZOK) w.Release(false);
  }
  w.Drain();
  return w.bytes();
}

size_t RawZk::ChildrenAndGet(const std::string& dir, const std::string& node) {
  std::vector<std::string> children;
  Window w(2);
  ChildrenCall call{&w, &children};
  w.Acquire();
  if (zoo_aget_children(zh_, dir.c_str(), 0, &CollectChildren, &call) != ZOK) w.Release(false);
  w.Acquire();
  if (zoo_aget(zh_, node.c_str(), 0, &CountData, &w) != ZOK) w.Release(false);
  w.Drain();
  return children.size();
}

std::vector<std::vector<std::string>> RawZk::PipelinedChildren(const std::vector<std::string>& paths, int window) {
  std::vector<std::vector<std::string>> children_of(paths.size());
  std::vector<ChildrenCall> calls(paths.size());
  Window w(window);
  for (size_t i = 0; i < paths.size(); ++i) {
    calls[i] = ChildrenCall{&w, &children_of[i]};
    w.Acquire();
    int rc = zoo_aget_children(zh_, paths[i].c_str(), 0, &CollectChildren, &calls[i]);
    if (rc != ZOK) w.Release(false);
  }
  w.Drain();
  return children_of;
}

RawChildWatcher::RawChildWatcher(RawZk* zk, std::string path, std::function<void(const std::string&)> on_new_child,
                                 bool read_data)
    : zk_(zk), path_(std::move(path)), on_new_child_(std::move(on_new_child)), read_data_(read_data) {}

void RawChildWatcher::Start() { Arm(); }

void RawChildWatcher::Arm() {
  zoo_awget_children2(zk_->handle(), path_.c_str(), &RawChildWatcher::OnFire, this, &RawChildWatcher::OnChildren,
                      this);
}

void RawChildWatcher::OnFire(zhandle_t*, int type, int, const char*, void* ctx) {
  if (type == ZOO_CHILD_EVENT) static_cast<RawChildWatcher*>(ctx)->Arm();
}

void RawChildWatcher::OnChildren(int rc, const String_vector* children, const Stat*, const void* data) {
  auto* self = static_cast<RawChildWatcher*>(const_cast<void*>(data));
  if (rc != ZOK) return;
  for (int i = 0; i < children->count; ++i) {
    bool& seen = self->seen_[children->data[i]];
    if (seen) continue;
    seen = true;
    if (!self->read_data_) {
      self->on_new_child_(children->data[i]);
      continue;
    }
    auto* read = new DataRead{self, children->data[i]};
    std::string child_path = self->path_ + "/" + read->child;
    if (zoo_aget(self->zk_->handle(), child_path.c_str(), 0, &RawChildWatcher::OnData, read) != ZOK) delete read;
  }
}

void RawChildWatcher::OnData(int rc, const char*, int, const Stat*, const void* data) {
  std::unique_ptr<const DataRead> read(static_cast<const DataRead*>(data));
  if (rc == ZOK) read->watcher->on_new_child_(read->child);
}

}  // namespace bench
}  // namespace kreg
