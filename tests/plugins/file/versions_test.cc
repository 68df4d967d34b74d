// Versions a reader is given: a lapsed lease changes them at once, they
// never go back when the file is removed or an older copy restored, and
// the events of one write share one version.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include "file_test_util.h"

namespace kreg {
namespace file_test {
namespace {

using std::chrono::milliseconds;

class FileVersionsTest : public WatchedFileTest {
 protected:
  bool WaitForEvent(EventType type, const std::string& service, const std::string& id) {
    return recorder_.WaitFor(
        [&](const std::vector<WatchEvent>& seen) { return FindEvent(seen, type, service, id) >= 0; });
  }

  std::shared_ptr<const Service> Shared(const std::string& name) {
    std::shared_ptr<const Service> s;
    Status st = registry_.GetService(name, &s);
    EXPECT_TRUE(st.ok()) << st.ToString();
    return s ? s : std::make_shared<const Service>();
  }

  static std::set<std::string> Ids(const Service& s) {
    std::set<std::string> ids;
    for (const auto& [zone, instances] : s.instances) {
      for (const auto& [id, instance] : instances) ids.insert(id);
    }
    return ids;
  }

};

// The versions of `service`'s events, in delivery order.
std::vector<int64_t> EventVersions(const std::vector<WatchEvent>& events, const std::string& service) {
  std::vector<int64_t> versions;
  for (const WatchEvent& e : events) {
    if (e.service_name == service) versions.push_back(e.version);
  }
  return versions;
}

// Never decreasing, as the contract says of one service's events.
void ExpectNeverBack(const std::vector<int64_t>& versions) {
  for (size_t i = 1; i < versions.size(); ++i) {
    EXPECT_GE(versions[i], versions[i - 1]) << "event " << i << " went back";
  }
}

// events[index] is a new state of its service: above every earlier event's.
void ExpectAboveEveryEarlier(const std::vector<WatchEvent>& events, int index) {
  ASSERT_GE(index, 0);
  for (int i = 0; i < index; ++i) {
    if (events[i].service_name == events[index].service_name) {
      EXPECT_GT(events[index].version, events[i].version) << "event " << i;
    }
  }
}

TEST_F(FileVersionsTest, ALapsedLeaseChangesEveryReadAtOnce) {
  // The holder of "short" is gone (killed -9): nobody renews it, nobody writes.
  // Its lease outlasts the next register and read even under a sanitizer on
  // a slow machine (300 ms did not under ThreadSanitizer).
  const milliseconds short_ttl(2000);
  ASSERT_TRUE(registry_.Register(MakeInstance("svc", "short"), {short_ttl, false}).ok());
  const auto registered = std::chrono::steady_clock::now();
  ASSERT_TRUE(registry_.Register(MakeInstance("svc", "long")).ok());
  std::shared_ptr<const Service> before = Shared("svc");
  ASSERT_EQ(Ids(*before), (std::set<std::string>{"short", "long"}));
  std::this_thread::sleep_until(registered + short_ttl + milliseconds(100));

  std::shared_ptr<const Service> after = Shared("svc");
  EXPECT_EQ(Ids(*after), std::set<std::string>{"long"});
  EXPECT_NE(after->version, before->version);
  Service plain;
  ASSERT_TRUE(registry_.GetService("svc", &plain).ok());
  EXPECT_EQ(Ids(plain), std::set<std::string>{"long"});
  EXPECT_EQ(plain.version, after->version);
  std::vector<Service> all;
  ASSERT_TRUE(registry_.ListServices(&all).ok());
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].version, after->version);

  // A watch started now agrees: its state is at the version reads gave.
  StartWatch();
  std::vector<WatchEvent> events = recorder_.events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].instance.id, "long");
  EXPECT_EQ(events[0].version, after->version);
}

TEST_F(FileVersionsTest, FiveLeasesLapsingInOneSweepShareOneVersion) {
  ASSERT_TRUE(registry_.Register(MakeInstance("svc", "keep")).ok());
  const std::vector<std::string> lapsing = {"l1", "l2", "l3", "l4", "l5"};
  for (const std::string& id : lapsing) ASSERT_TRUE(registry_.Register(MakeInstance("svc", id)).ok());
  StartWatch();
  // Their holders die together: the leases end in the same millisecond.
  nlohmann::json doc = ReadJson(path_);
  const int64_t end_ms =
      std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count() + 300;
  for (const std::string& id : lapsing) doc["services"]["svc"]["instances"][id]["expires_at_ms"] = end_ms;
  ReplaceBytes(path_, doc.dump());

  ASSERT_TRUE(recorder_.WaitFor([&](const std::vector<WatchEvent>& seen) {
    for (const std::string& id : lapsing) {
      if (FindEvent(seen, EventType::kDelete, "svc", id) < 0) return false;
    }
    return true;
  }));
  std::this_thread::sleep_for(milliseconds(200));  // nothing more may come
  std::vector<WatchEvent> events = recorder_.events();
  std::set<int64_t> delete_versions;
  int deletes = 0;
  for (const WatchEvent& e : events) {
    if (e.type != EventType::kDelete) continue;
    ++deletes;
    delete_versions.insert(e.version);
  }
  EXPECT_EQ(deletes, 5);
  ASSERT_EQ(delete_versions.size(), 1u) << "one sweep is one write: its deletes share its version";
  Service s;
  ASSERT_TRUE(registry_.GetService("svc", &s).ok());
  EXPECT_EQ(s.version, *delete_versions.begin());
  EXPECT_EQ(Ids(s), std::set<std::string>{"keep"});
  EXPECT_EQ(events.back().version, s.version);
}

TEST_F(FileVersionsTest, RemovingTheFileNeverTakesVersionsBack) {
  for (const char* id : {"a", "b", "c"}) ASSERT_TRUE(registry_.Register(MakeInstance("svc", id)).ok());
  std::shared_ptr<const Service> before = Shared("svc");
  StartWatch();
  std::filesystem::remove(path_);
  ASSERT_TRUE(WaitForEvent(EventType::kDelete, "svc", "c"));

  // As many registers as before: a counter started again would be back at
  // the version the shared snapshot holds.
  for (const char* id : {"x", "y", "z"}) {
    ASSERT_TRUE(registry_.Register(MakeInstance("svc", id)).ok());
    ASSERT_TRUE(WaitForEvent(EventType::kCreate, "svc", id));
  }
  std::vector<WatchEvent> events = recorder_.events();
  std::vector<int64_t> versions = EventVersions(events, "svc");
  ExpectNeverBack(versions);
  ExpectAboveEveryEarlier(events, FindEvent(events, EventType::kCreate, "svc", "x"));
  std::shared_ptr<const Service> after = Shared("svc");
  EXPECT_EQ(Ids(*after), (std::set<std::string>{"x", "y", "z"}));
  EXPECT_GT(after->version, before->version);
  EXPECT_EQ(after->version, versions.back());
}

TEST_F(FileVersionsTest, RestoringAnOlderCopyNeverTakesVersionsBack) {
  ASSERT_TRUE(registry_.Register(MakeInstance("svc", "a")).ok());
  const std::string old_copy = ReadBytes(path_);
  ASSERT_TRUE(registry_.Register(MakeInstance("svc", "b")).ok());
  ASSERT_TRUE(registry_.Register(MakeInstance("svc", "c")).ok());
  std::shared_ptr<const Service> before = Shared("svc");
  StartWatch();

  ReplaceBytes(path_, old_copy);
  ASSERT_TRUE(WaitForEvent(EventType::kDelete, "svc", "c"));
  std::shared_ptr<const Service> restored = Shared("svc");
  EXPECT_EQ(Ids(*restored), std::set<std::string>{"a"});
  EXPECT_GT(restored->version, before->version);

  ASSERT_TRUE(registry_.Register(MakeInstance("svc", "d")).ok());
  ASSERT_TRUE(WaitForEvent(EventType::kCreate, "svc", "d"));
  std::vector<WatchEvent> events = recorder_.events();
  std::vector<int64_t> versions = EventVersions(events, "svc");
  ExpectNeverBack(versions);
  ExpectAboveEveryEarlier(events, FindEvent(events, EventType::kCreate, "svc", "d"));
  std::shared_ptr<const Service> after = Shared("svc");
  EXPECT_EQ(Ids(*after), (std::set<std::string>{"a", "d"}));
  EXPECT_EQ(after->version, versions.back());
}

TEST_F(FileVersionsTest, ARegistryOpenedAfterARestoreWritesAboveEveryEarlierVersion) {
  ASSERT_TRUE(registry_.Register(MakeInstance("svc", "a")).ok());
  const std::string old_copy = ReadBytes(path_);
  ASSERT_TRUE(registry_.Register(MakeInstance("svc", "b")).ok());
  std::shared_ptr<const Service> before = Shared("svc");
  ReplaceBytes(path_, old_copy);

  // A process that never saw the newer file writes to the restored one.
  Registry fresh;
  ASSERT_TRUE(OpenFileRegistry(path_, &fresh).ok());
  ASSERT_TRUE(fresh.Register(MakeInstance("svc", "c")).ok());
  Service written;
  ASSERT_TRUE(fresh.GetService("svc", &written).ok());
  EXPECT_GT(written.version, before->version);
  std::shared_ptr<const Service> after = Shared("svc");
  EXPECT_EQ(Ids(*after), (std::set<std::string>{"a", "c"}));
  EXPECT_EQ(after->version, written.version);
}

}  // namespace
}  // namespace file_test
}  // namespace kreg
