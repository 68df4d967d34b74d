// The mirror that serves reads and watches: a backend started after a
// history of changes reports the versions a backend that saw them live
// reports, finds an emptied service, and delivers that history as its
// snapshot, never as live events.
#include <gtest/gtest.h>

#include <thread>

#include "etcd_test_util.h"
#include "support/process.h"

namespace kreg {
namespace testing {
namespace {

using std::chrono::seconds;

TEST(EtcdMirror, ABackendStartedLaterReplaysTheHistoryIntoTheSameVersions) {
  KREG_START_ETCD(etcd, 1);
  Registry first;
  ASSERT_TRUE(OpenEtcd(EtcdOptions(*etcd), &first).ok());
  ASSERT_TRUE(first.Register(MakeInstance("stays", "a")).ok());
  ASSERT_TRUE(first.Register(MakeInstance("stays", "b")).ok());
  ASSERT_TRUE(first.Deregister("stays", "b").ok());  // its version: this delete's revision
  // More revisions than etcd replays in one round (1000), all of keys that
  // are gone by now: the replay's content equals the registry's long before
  // it ends.
  for (int i = 0; i < 600; ++i) {
    const std::string id = "t" + std::to_string(i);
    ASSERT_TRUE(first.Register(MakeInstance("transient", id)).ok());
    ASSERT_TRUE(first.Deregister("transient", id).ok());
  }
  Service stays;
  Service transient;
  ASSERT_TRUE(first.GetService("stays", &stays).ok());
  ASSERT_TRUE(first.GetService("transient", &transient).ok());
  EXPECT_EQ(transient.instance_count(), 0u);

  Registry late;
  ASSERT_TRUE(OpenEtcd(EtcdOptions(*etcd), &late).ok());
  EventRecorder rec;
  std::unique_ptr<Watch> w;
  ASSERT_TRUE(late.StartWatch(rec.Callback(), &w).ok());
  ASSERT_TRUE(rec.WaitSynced());
  std::this_thread::sleep_for(seconds(1));
  std::vector<WatchEvent> events = rec.events();
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().type, EventType::kSynced) << "the history is the snapshot, not live events: "
                                                     << events.size() << " events";
  EXPECT_EQ(rec.model().versions["stays"], stays.version) << "the snapshot carries the version of the delete";
  Service late_stays;
  Service late_transient;
  ASSERT_TRUE(late.GetService("stays", &late_stays).ok());
  EXPECT_EQ(late_stays.version, stays.version);
  ASSERT_TRUE(late.GetService("transient", &late_transient).ok()) << "an emptied service is found";
  EXPECT_EQ(late_transient.instance_count(), 0u);
  EXPECT_EQ(late_transient.version, transient.version);
  EXPECT_TRUE(rec.violations().empty()) << rec.violations().front();
}

}  // namespace
}  // namespace testing
}  // namespace kreg
