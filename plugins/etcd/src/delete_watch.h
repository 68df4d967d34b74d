// DeleteWatch: tells the backend of every key deleted under the root, so
// that it puts back a held instance someone else deleted (or that went with
// a lost lease). etcd filters the puts out (NOPUT), so a backend that only
// registers is not streamed its own writes back; the Mirror, which serves
// reads, starts only when something reads.
#ifndef KREG_PLUGINS_ETCD_DELETE_WATCH_H_
#define KREG_PLUGINS_ETCD_DELETE_WATCH_H_

#include <functional>
#include <memory>
#include <string>

#include "layout.h"
#include "watch_loop.h"

namespace kreg {
namespace etcd {

class DeleteWatch : public WatchLoop::Handler {
 public:
  // `on_delete(key)` for each deleted key; `on_gap()` when deletes may have
  // been missed (the history to go on from was compacted away): every held
  // key must be looked at. Both run on the watch's thread and must not block.
  // Watches from revision `from` (0: from now).
  DeleteWatch(HttpClient* http, const Layout& layout, const Options& options, plugin::Logger log, int64_t from,
              std::function<void(const std::string& key)> on_delete, std::function<void()> on_gap);
  ~DeleteWatch() override;

 private:
  void OnEvents(std::vector<KvEvent> events, int64_t through) override;
  void OnWake() override {}
  int64_t OnCompacted(int64_t compact_revision) override;
  void OnBroken(const Status& why) override;

  const plugin::Logger log_;
  const std::function<void(const std::string&)> on_delete_;
  const std::function<void()> on_gap_;
  std::unique_ptr<WatchLoop> loop_;  // last: stopped first
};

}  // namespace etcd
}  // namespace kreg

#endif  // KREG_PLUGINS_ETCD_DELETE_WATCH_H_
