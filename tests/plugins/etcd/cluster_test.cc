// The etcd backend on a 3-member cluster: a member killed while registering
// and watching, and a watch that must go on from a compacted revision.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "etcd_test_util.h"
#include "support/process.h"

namespace kreg {
namespace testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Every registered instance read back from the server, as the model has it.
size_t ServerInstances(const Registry& r, const std::string& service) {
  Service s;
  return r.GetService(service, &s).ok() ? s.instance_count() : 0;
}

TEST(EtcdCluster, KillingAMemberWhileRegisteringAndWatchingLosesNothing) {
  KREG_START_ETCD(etcd, 3);
  Registry writer;
  ASSERT_TRUE(OpenEtcd(EtcdOptions(*etcd), &writer).ok());
  // The watcher's stream is on the first member it names: the leader, so
  // that killing the leader breaks the stream and an election follows.
  const int leader = etcd->Leader();
  ASSERT_GE(leader, 0);
  OpenOptions watcher_options = EtcdOptions(*etcd);
  watcher_options.addrs = {etcd->addr(leader), etcd->addr((leader + 1) % 3), etcd->addr((leader + 2) % 3)};
  Registry watcher;
  ASSERT_TRUE(OpenEtcd(watcher_options, &watcher).ok());
  EventRecorder rec;
  std::unique_ptr<Watch> w;
  ASSERT_TRUE(watcher.StartWatch(rec.Callback(), &w).ok());
  ASSERT_TRUE(rec.WaitSynced());

  constexpr int kInstances = 200;
  std::atomic<int> registered{0};
  std::atomic<int> failed{0};
  std::thread registering([&] {
    for (int i = 0; i < kInstances; ++i) {
      Status s = writer.Register(MakeInstance("svc", "i" + std::to_string(i)));
      (s.ok() ? registered : failed).fetch_add(1);
      std::this_thread::sleep_for(milliseconds(5));
    }
  });
  ASSERT_TRUE(WaitFor([&] { return registered.load() >= kInstances / 4; }, seconds(30)));
  etcd->Kill(leader);
  registering.join();
  EXPECT_EQ(failed.load(), 0) << "registers ride out the election on the other members";
  EXPECT_TRUE(rec.WaitUntil([&](const EventRecorder::Model& m) {
    return m.instances.count("svc") && m.instances.at("svc").size() == size_t(registered.load());
  }, seconds(30))) << "the watch resumed on another member with nothing lost";
  EXPECT_EQ(ServerInstances(watcher, "svc"), size_t(registered.load()));
  EXPECT_EQ(DescribeDiff(ServerView(writer), ModelView(rec.model())), "");
  EXPECT_TRUE(rec.violations().empty()) << rec.violations().front();

  std::string error;
  ASSERT_TRUE(etcd->Restart(leader, &error)) << error;
}

TEST(EtcdCluster, AClusterWithoutQuorumIsUnavailableAndTheBackendComesBack) {
  KREG_START_ETCD(etcd, 3);
  OpenOptions o = EtcdOptions(*etcd);
  o.addrs = {etcd->addr(0)};
  // Longer than etcd's own wait for a leader, so that etcd answers with its
  // error rather than kreg giving up first.
  o.timeout = seconds(10);
  o.options["session_timeout"] = "3s";
  Registry r;
  ASSERT_TRUE(OpenEtcd(o, &r).ok());
  ASSERT_TRUE(r.Register(MakeInstance("svc", "a")).ok());
  // Member 0 answers, but with no leader: its lease keepalives come back as
  // a streaming call's error, which must not end the process.
  etcd->Kill(1);
  etcd->Kill(2);
  std::this_thread::sleep_for(seconds(10));
  Status s = r.Register(MakeInstance("svc", "b"));
  EXPECT_TRUE(s.code() == KREG_UNAVAILABLE || s.code() == KREG_TIMEOUT) << s.ToString() << " (" << Status::CodeName(s.code()) << ")";

  std::string error;
  ASSERT_TRUE(etcd->Restart(1, &error)) << error;
  ASSERT_TRUE(etcd->Restart(2, &error)) << error;
  EXPECT_TRUE(WaitFor([&] { return r.Register(MakeInstance("svc", "b")).ok(); }, seconds(30)));
  EXPECT_TRUE(WaitFor([&] { return ServerInstances(r, "svc") == 2; }, seconds(30)))
      << "the held instances are there again, with a new lease if the old one expired";
}

TEST(EtcdCluster, AWatchBehindACompactionRecoversTheServersState) {
  KREG_START_ETCD(etcd, 3);
  // The watcher talks to one member only; while that member is down the
  // others change the registry and compact its history away.
  OpenOptions watcher_options = EtcdOptions(*etcd);
  watcher_options.addrs = {etcd->addr(0)};
  watcher_options.options["session_timeout"] = "30s";
  watcher_options.timeout = seconds(2);
  Registry watcher;
  ASSERT_TRUE(OpenEtcd(watcher_options, &watcher).ok());
  OpenOptions writer_options = EtcdOptions(*etcd);
  writer_options.addrs = {etcd->addr(1), etcd->addr(2)};
  Registry writer;
  ASSERT_TRUE(OpenEtcd(writer_options, &writer).ok());
  for (const char* id : {"stays", "goes", "changes"}) ASSERT_TRUE(writer.Register(MakeInstance("svc", id)).ok());
  ASSERT_TRUE(writer.Register(MakeInstance("gone", "g")).ok());
  EventRecorder rec;
  std::unique_ptr<Watch> w;
  ASSERT_TRUE(watcher.StartWatch(rec.Callback(), &w).ok());
  ASSERT_TRUE(rec.WaitSynced());
  ASSERT_TRUE(rec.WaitUntil([](const EventRecorder::Model& m) { return m.instances.count("svc") == 1; }));

  etcd->Kill(0);
  ASSERT_TRUE(writer.Deregister("svc", "goes").ok());
  Instance changed = MakeInstance("svc", "changes");
  changed.metadata["color"] = "red";
  RegisterOptions refresh;
  refresh.refresh = true;
  ASSERT_TRUE(writer.Register(changed, refresh).ok());
  ASSERT_TRUE(writer.Register(MakeInstance("svc", "new")).ok());
  ASSERT_TRUE(writer.Deregister("gone", "g").ok());
  std::string out;
  const std::vector<int> others = {1, 2};
  const int64_t now = EtcdctlRevision(*etcd, others);
  ASSERT_GT(now, 0);
  ASSERT_EQ(etcd->Etcdctl({"compaction", std::to_string(now)}, &out, others), 0) << out;

  std::string error;
  ASSERT_TRUE(etcd->Restart(0, &error)) << error;
  EXPECT_TRUE(rec.WaitUntil([](const EventRecorder::Model& m) {
    auto svc = m.instances.find("svc");
    return svc != m.instances.end() && svc->second.count("new") && !svc->second.count("goes") &&
           svc->second.at("changes").metadata.at("color") == "red" && !m.instances.count("gone");
  }, seconds(30))) << "the watch reads the registry again and reports what changed";
  EXPECT_EQ(DescribeDiff(ServerView(writer), ModelView(rec.model())), "")
      << "the watch's final state is the server's";
  EXPECT_TRUE(rec.violations().empty()) << rec.violations().front();
  Service s;
  ASSERT_TRUE(watcher.GetService("svc", &s).ok());
  EXPECT_EQ(s.instance_count(), 3u);
  EXPECT_EQ(s.version, rec.model().versions.at("svc")) << "reads and the watch agree on the version";
}

TEST(EtcdCluster, ABackendStartedAfterACompactionReadsTheRegistry) {
  KREG_START_ETCD(etcd, 1);
  Registry first;
  ASSERT_TRUE(OpenEtcd(EtcdOptions(*etcd), &first).ok());
  for (const char* id : {"a", "b", "c"}) ASSERT_TRUE(first.Register(MakeInstance("svc", id)).ok());
  ASSERT_TRUE(first.Deregister("svc", "b").ok());
  std::string out;
  ASSERT_EQ(etcd->Etcdctl({"compaction", std::to_string(EtcdctlRevision(*etcd))}, &out), 0) << out;
  ASSERT_TRUE(first.Register(MakeInstance("svc", "d")).ok());

  Registry late;
  ASSERT_TRUE(OpenEtcd(EtcdOptions(*etcd), &late).ok());
  Service s;
  ASSERT_TRUE(late.GetService("svc", &s).ok());
  EXPECT_EQ(s.instance_count(), 3u);
  Service from_first;
  ASSERT_TRUE(first.GetService("svc", &from_first).ok());
  EXPECT_EQ(s.version, from_first.version) << "both read the version of the last change, the register of d";
}

}  // namespace
}  // namespace testing
}  // namespace kreg
