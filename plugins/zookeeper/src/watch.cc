#include "watch.h"

#include <utility>

namespace kreg {
namespace zk {

Status ZkWatch::Start(std::shared_ptr<NodeMirror> mirror, std::shared_ptr<plugin::EventSink> sink,
                      std::unique_ptr<plugin::WatchSource>* out) {
  uint64_t id = 0;
  Status s = mirror->AddWatch(std::move(sink), &id);
  if (!s.ok()) return s;
  out->reset(new ZkWatch(std::move(mirror), id));
  return Status::OK();
}

}  // namespace zk
}  // namespace kreg
