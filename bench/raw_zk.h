// The ceiling: the raw ZooKeeper C client doing the same work kreg does,
// in the plainest fast way (pipelined async calls, one watch re-armed).
#ifndef KREG_BENCH_RAW_ZK_H_
#define KREG_BENCH_RAW_ZK_H_

#include <zookeeper/zookeeper.h>

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace kreg {
namespace bench {

class RawZk {
 public:
  // Connects and waits for the session; aborts the benchmark on failure.
  explicit RawZk(const std::string& connect);
  ~RawZk();
  RawZk(const RawZk&) = delete;
  RawZk& operator=(const RawZk&) = delete;

  zhandle_t* handle() const { return zh_; }

  // Creates `path` and its missing parents as persistent nodes.
  void EnsurePath(const std::string& path);
  // One synchronous create; true on success.
  bool Create(const std::string& path, const std::string& data, int mode);
  // Creates every path asynchronously with at most `window` in flight,
  // paths[i] holding payloads[i] (or payloads[0] when there is one);
  // returns how many succeeded.
  int PipelinedCreate(const std::vector<std::string>& paths, const std::vector<std::string>& payloads, int mode,
                      int window = 2000);
  // The children of `path` (synchronous).
  std::vector<std::string> Children(const std::string& path);
  // Reads every path asynchronously (pipelined); returns total bytes.
  size_t PipelinedGet(const std::vector<std::string>& paths, int window = 2000);
  // The children of `dir` and the data of `node`, the two asked for
  // together (pipelined); returns how many children.
  size_t ChildrenAndGet(const std::string& dir, const std::string& node);
  // Children of every path, pipelined; result[i] for paths[i].
  std::vector<std::vector<std::string>> PipelinedChildren(const std::vector<std::string>& paths, int window = 2000);

 private:
  zhandle_t* zh_ = nullptr;
};

// Follows the children of one znode with a getChildren watch re-armed on
// every fire (async, from the watcher thread), diffing against the last
// list and calling `on_new_child` for each child that appeared; with
// `read_data`, only once an async getData of the child has answered (what
// a client must do to learn more than a name).
class RawChildWatcher {
 public:
  RawChildWatcher(RawZk* zk, std::string path, std::function<void(const std::string&)> on_new_child,
                  bool read_data = false);
  void Start();

 private:
  static void OnFire(zhandle_t* zh, int type, int state, const char* path, void* ctx);
  static void OnChildren(int rc, const String_vector* children, const Stat* stat, const void* data);
  static void OnData(int rc, const char* value, int len, const Stat* stat, const void* data);
  void Arm();

  struct DataRead {
    RawChildWatcher* watcher;
    std::string child;
  };

  RawZk* zk_;
  std::string path_;
  std::function<void(const std::string&)> on_new_child_;
  const bool read_data_;
  std::map<std::string, bool> seen_;  // touched only on the completion thread
};

}  // namespace bench
}  // namespace kreg

#endif  // KREG_BENCH_RAW_ZK_H_
