#include "delete_watch.h"

namespace kreg {
namespace etcd {

DeleteWatch::DeleteWatch(HttpClient* http, const Layout& layout, const Options& options, plugin::Logger log,
                         int64_t from, std::function<void(const std::string&)> on_delete,
                         std::function<void()> on_gap)
    : log_(std::move(log)), on_delete_(std::move(on_delete)), on_gap_(std::move(on_gap)) {
  const std::string prefix = layout.Prefix();
  loop_ = std::make_unique<WatchLoop>(http, prefix, Layout::PrefixEnd(prefix), /*deletes_only=*/true, options, log_,
                                      this);
  loop_->Start(from);
}

DeleteWatch::~DeleteWatch() { loop_.reset(); }

void DeleteWatch::OnEvents(std::vector<KvEvent> events, int64_t) {
  for (const KvEvent& e : events) {
    if (e.deleted) on_delete_(e.kv.key);
  }
}

int64_t DeleteWatch::OnCompacted(int64_t compact_revision) {
  on_gap_();
  return compact_revision + 1;
}

void DeleteWatch::OnBroken(const Status& why) {
  log_.Debug(why.message() + "; the watch for deleted held keys goes on from where it stopped");
}

}  // namespace etcd
}  // namespace kreg
