// ZkWatch: one kreg watch over every service under the root: a subscription
// to the node mirror (node_mirror.h), which reads, diffs and numbers the
// events and pushes them into the watch's sink.
#ifndef KREG_PLUGINS_ZOOKEEPER_WATCH_H_
#define KREG_PLUGINS_ZOOKEEPER_WATCH_H_

#include <cstdint>
#include <memory>

#include "kreg/plugin.hpp"
#include "node_mirror.h"

namespace kreg {
namespace zk {

class ZkWatch : public plugin::WatchSource {
 public:
  // Pushes a CREATE for every instance and property and then SYNCED into
  // `sink`, then live changes; fails with the status of the first read
  // when the state cannot be read within the timeout.
  static Status Start(std::shared_ptr<NodeMirror> mirror, std::shared_ptr<plugin::EventSink> sink,
                      std::unique_ptr<plugin::WatchSource>* out);
  // Returns when the mirror will never push into the sink again.
  ~ZkWatch() override { mirror_->RemoveWatch(id_); }

 private:
  ZkWatch(std::shared_ptr<NodeMirror> mirror, uint64_t id) : mirror_(std::move(mirror)), id_(id) {}

  const std::shared_ptr<NodeMirror> mirror_;
  const uint64_t id_;
};

}  // namespace zk
}  // namespace kreg

#endif  // KREG_PLUGINS_ZOOKEEPER_WATCH_H_
