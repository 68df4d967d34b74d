// Watches: the initial state, live events, versions, lease expiry, errors
// and cancellation.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include "file_test_util.h"
#include "support/version_rule.h"

namespace kreg {
namespace file_test {
namespace {

using std::chrono::milliseconds;

using FileWatchTest = WatchedFileTest;

// Checks `events` against the version rule (support/version_rule.h).
// Returns each service's last event version.
std::map<std::string, int64_t> CheckVersions(const std::vector<WatchEvent>& events) {
  kreg::testing::VersionRule rule;
  std::map<std::string, int64_t> last;
  for (const WatchEvent& e : events) {
    EXPECT_EQ(rule.Check(e), "");
    if (e.type != EventType::kSynced && e.type != EventType::kError) last[e.service_name] = e.version;
  }
  return last;
}

TEST_F(FileWatchTest, InitialStateThenSynced) {
  ASSERT_TRUE(registry_.Register(MakeInstance("b", "1")).ok());
  ASSERT_TRUE(registry_.Register(MakeInstance("a", "1")).ok());
  Property p;
  p.service_name = "a";
  p.attrs["1"]["k"] = "v";
  ASSERT_TRUE(registry_.SetProperty(p).ok());
  ASSERT_TRUE(registry_.Register(MakeInstance("a", "2")).ok());
  ASSERT_TRUE(registry_.Register(MakeInstance("a", "gone")).ok());
  ASSERT_TRUE(registry_.Deregister("a", "gone").ok());
  StartWatch();
  std::vector<WatchEvent> events = recorder_.events();
  ASSERT_EQ(events.size(), 5u);
  // Each service's state at its version: "b" was last changed first.
  EXPECT_EQ(FindEvent(events, EventType::kCreate, "b", "1"), 0);
  EXPECT_EQ(FindEvent(events, EventType::kCreate, "a", "1"), 1);
  EXPECT_EQ(FindEvent(events, EventType::kCreate, "a", "2"), 2);
  EXPECT_EQ(events[3].info, EventInfo::kProperty);
  EXPECT_EQ(events[3].property.attrs.at("1").at("k"), "v");
  EXPECT_EQ(events[4].type, EventType::kSynced);
  Service a, b;
  ASSERT_TRUE(registry_.GetService("a", &a).ok());
  ASSERT_TRUE(registry_.GetService("b", &b).ok());
  EXPECT_EQ(events[0].version, b.version);
  for (int i = 1; i < 4; ++i) EXPECT_EQ(events[i].version, a.version);  // the delete of "gone" included
}

TEST_F(FileWatchTest, LiveChangesWithVersions) {
  StartWatch();
  // Each change waits for its event: changes faster than the watch reads
  // may be coalesced (the state at a version is what is promised).
  ASSERT_TRUE(registry_.Register(MakeInstance("svc", "a")).ok());
  ASSERT_TRUE(recorder_.WaitForCount(2));
  ASSERT_TRUE(registry_.Register(MakeInstance("svc", "a")).ok());  // keepalive: no event
  Instance changed = MakeInstance("svc", "a");
  changed.metadata["color"] = "red";
  ASSERT_TRUE(registry_.Register(changed, {milliseconds(30000), true}).ok());
  ASSERT_TRUE(recorder_.WaitForCount(3));
  Property p;
  p.service_name = "svc";
  p.zone_weights["z1"].dst["z1"] = 100;
  ASSERT_TRUE(registry_.SetProperty(p).ok());
  ASSERT_TRUE(recorder_.WaitForCount(4));
  ASSERT_TRUE(registry_.Deregister("svc", "a").ok());
  ASSERT_TRUE(recorder_.WaitForCount(5));
  std::this_thread::sleep_for(milliseconds(200));  // nothing more may come
  std::vector<WatchEvent> events = recorder_.events();
  ASSERT_EQ(events.size(), 5u);
  EXPECT_EQ(events[1].type, EventType::kCreate);
  EXPECT_EQ(events[1].data_version, 1);
  EXPECT_EQ(events[2].type, EventType::kModify);
  EXPECT_EQ(events[2].instance.metadata.at("color"), "red");
  EXPECT_EQ(events[2].data_version, 2);
  EXPECT_EQ(events[3].type, EventType::kCreate);
  EXPECT_EQ(events[3].info, EventInfo::kProperty);
  EXPECT_EQ(events[3].property.zone_weights.at("z1").dst.at("z1"), 100u);
  EXPECT_EQ(events[4].type, EventType::kDelete);
  EXPECT_EQ(events[4].instance.id, "a");
  EXPECT_EQ(events[4].service_name, "svc");
  // Each change waited for its event, so each is a state of its own.
  for (size_t i = 2; i < events.size(); ++i) EXPECT_GT(events[i].version, events[i - 1].version);
  std::map<std::string, int64_t> last = CheckVersions(events);
  Service s;
  ASSERT_TRUE(registry_.GetService("svc", &s).ok());
  EXPECT_EQ(s.version, last["svc"]);
}

TEST_F(FileWatchTest, CoalescedChangesKeepVersionsInOrder) {
  ASSERT_TRUE(registry_.Register(MakeInstance("svc", "old1")).ok());
  ASSERT_TRUE(registry_.Register(MakeInstance("svc", "old2")).ok());
  StartWatch();
  // A burst: many writes land between two reads of the watch.
  for (int round = 0; round < 20; ++round) {
    std::string id = "n" + std::to_string(round);
    ASSERT_TRUE(registry_.Register(MakeInstance("svc", id)).ok());
    if (round % 3 == 0) {
      ASSERT_TRUE(registry_.Deregister("svc", id).ok());
    }
  }
  ASSERT_TRUE(registry_.Deregister("svc", "old1").ok());
  ASSERT_TRUE(registry_.Deregister("svc", "old2").ok());
  ASSERT_TRUE(recorder_.WaitFor([](const std::vector<WatchEvent>& seen) {
    return FindEvent(seen, EventType::kDelete, "svc", "old2") >= 0;
  }));
  std::this_thread::sleep_for(milliseconds(200));
  std::vector<WatchEvent> events = recorder_.events();
  std::map<std::string, int64_t> last = CheckVersions(events);
  Service s;
  ASSERT_TRUE(registry_.GetService("svc", &s).ok());
  EXPECT_EQ(s.version, last["svc"]);
  // Replaying the events gives the final state.
  std::set<std::string> live;
  for (const WatchEvent& e : events) {
    if (e.type == EventType::kCreate || e.type == EventType::kModify) live.insert(e.instance.id);
    if (e.type == EventType::kDelete) {
      EXPECT_EQ(live.erase(e.instance.id), 1u) << e.instance.id;
    }
  }
  std::set<std::string> want;
  for (const auto& [id, in] : s.instances.at("z1")) want.insert(id);
  EXPECT_EQ(live, want);
}

TEST_F(FileWatchTest, ExpiryIsReportedWithoutAnyWriter) {
  StartWatch();
  ASSERT_TRUE(registry_.Register(MakeInstance("svc", "short"), {milliseconds(300), false}).ok());
  auto registered = std::chrono::steady_clock::now();
  ASSERT_TRUE(recorder_.WaitFor(
      [](const std::vector<WatchEvent>& seen) { return FindEvent(seen, EventType::kDelete, "svc", "short") >= 0; },
      milliseconds(1800)));
  auto took = std::chrono::steady_clock::now() - registered;
  EXPECT_LT(took, milliseconds(1500));
  EXPECT_GE(took, milliseconds(290));
  std::vector<WatchEvent> events = recorder_.events();
  std::map<std::string, int64_t> last = CheckVersions(events);
  Service s;
  ASSERT_TRUE(registry_.GetService("svc", &s).ok());
  EXPECT_EQ(s.instance_count(), 0u);
  EXPECT_EQ(s.version, last["svc"]);
  // The watch's sweep removed it from the file.
  EXPECT_FALSE(ReadJson(path_)["services"]["svc"]["instances"].contains("short"));
}

TEST_F(FileWatchTest, SeveralExpiriesInOneServiceEndAtItsVersion) {
  ASSERT_TRUE(registry_.Register(MakeInstance("svc", "keep")).ok());
  StartWatch();
  for (const char* id : {"x", "y", "z"}) {
    ASSERT_TRUE(registry_.Register(MakeInstance("svc", id), {milliseconds(300), false}).ok());
  }
  ASSERT_TRUE(recorder_.WaitFor([](const std::vector<WatchEvent>& seen) {
    return FindEvent(seen, EventType::kDelete, "svc", "x") >= 0 &&
           FindEvent(seen, EventType::kDelete, "svc", "y") >= 0 &&
           FindEvent(seen, EventType::kDelete, "svc", "z") >= 0;
  }));
  std::map<std::string, int64_t> last = CheckVersions(recorder_.events());
  Service s;
  ASSERT_TRUE(registry_.GetService("svc", &s).ok());
  EXPECT_EQ(s.version, last["svc"]);
  EXPECT_EQ(s.instance_count(), 1u);
}

TEST_F(FileWatchTest, CorruptFileIsReportedOnceAndRecovered) {
  ASSERT_TRUE(registry_.Register(MakeInstance("svc", "a")).ok());
  std::string good = ReadBytes(path_);
  StartWatch();
  WriteBytes(path_, "{ this is not json");
  ASSERT_TRUE(recorder_.WaitFor([](const std::vector<WatchEvent>& seen) {
    return seen.back().type == EventType::kError;
  }));
  std::vector<WatchEvent> events = recorder_.events();
  EXPECT_NE(events.back().message.find(path_), std::string::npos) << events.back().message;
  EXPECT_EQ(events.back().info, EventInfo::kNone);
  WriteBytes(path_, "");  // still broken: no second ERROR
  // Fixed by hand: back to the good content plus one more instance, at a
  // revision of its own.
  nlohmann::json doc = nlohmann::json::parse(good);
  const int64_t revision = doc["revision"].get<int64_t>() + 1;
  doc["revision"] = revision;
  doc["services"]["svc"]["version"] = revision;
  doc["services"]["svc"]["instances"]["b"] = doc["services"]["svc"]["instances"]["a"];
  doc["services"]["svc"]["instances"]["b"]["data"]["id"] = "b";
  doc["services"]["svc"]["instances"]["b"]["version"] = revision;
  WriteBytes(path_, doc.dump());
  ASSERT_TRUE(recorder_.WaitFor([](const std::vector<WatchEvent>& seen) {
    return FindEvent(seen, EventType::kCreate, "svc", "b") >= 0;
  }));
  events = recorder_.events();
  int errors = 0;
  for (const WatchEvent& e : events) errors += e.type == EventType::kError ? 1 : 0;
  EXPECT_EQ(errors, 1);
  EXPECT_EQ(FindEvent(events, EventType::kDelete, "svc", "a"), -1);  // "a" never went away
}

TEST_F(FileWatchTest, RemovedFileReadsAsEmpty) {
  ASSERT_TRUE(registry_.Register(MakeInstance("svc", "a")).ok());
  StartWatch();
  std::filesystem::remove(path_);
  ASSERT_TRUE(recorder_.WaitFor([](const std::vector<WatchEvent>& seen) {
    return FindEvent(seen, EventType::kDelete, "svc", "a") >= 0;
  }));
  CheckVersions(recorder_.events());  // the delete still comes after the create
}

// A link made at the path is only a create in the directory, no write.
TEST_F(FileWatchTest, AFileLinkedIntoPlaceIsSeen) {
  ASSERT_TRUE(registry_.Register(MakeInstance("svc", "a")).ok());
  const std::string backup = dir_.Join("backup.json");
  ASSERT_EQ(link(path_.c_str(), backup.c_str()), 0);
  StartWatch();
  std::filesystem::remove(path_);
  ASSERT_TRUE(recorder_.WaitFor([](const std::vector<WatchEvent>& seen) {
    return FindEvent(seen, EventType::kDelete, "svc", "a") >= 0;
  }));
  const size_t before = recorder_.events().size();
  ASSERT_EQ(link(backup.c_str(), path_.c_str()), 0);
  EXPECT_TRUE(recorder_.WaitFor([&](const std::vector<WatchEvent>& seen) {
    return seen.size() > before && seen.back().type == EventType::kCreate && seen.back().instance.id == "a";
  })) << "the watch missed the file restored by a link";
}

// The first ERROR event's message, once there is one.
std::string WaitForError(EventRecorder* recorder) {
  auto first_error = [](const std::vector<WatchEvent>& seen) -> const WatchEvent* {
    for (const WatchEvent& e : seen) {
      if (e.type == EventType::kError) return &e;
    }
    return nullptr;
  };
  if (!recorder->WaitFor([&](const std::vector<WatchEvent>& seen) { return first_error(seen) != nullptr; })) {
    return "";
  }
  return first_error(recorder->events())->message;
}

TEST_F(FileWatchTest, AWatchGoesOnOnceItsDirectoryIsBack) {
  ASSERT_TRUE(registry_.Register(MakeInstance("svc", "a")).ok());
  StartWatch();
  std::filesystem::remove_all(dir_.path());
  EXPECT_NE(WaitForError(&recorder_).find("was removed"), std::string::npos);
  std::filesystem::create_directory(dir_.path());
  ASSERT_TRUE(registry_.Register(MakeInstance("svc", "b")).ok());
  EXPECT_TRUE(recorder_.WaitFor([](const std::vector<WatchEvent>& seen) {
    return FindEvent(seen, EventType::kCreate, "svc", "b") >= 0;
  })) << "the watch saw nothing in the new directory";
  CheckVersions(recorder_.events());
}

TEST_F(FileWatchTest, AWatchGoesOnAfterItsDirectoryIsMovedAway) {
  ASSERT_TRUE(registry_.Register(MakeInstance("svc", "a")).ok());
  StartWatch();
  std::filesystem::rename(dir_.path(), dir_.path() + ".old");
  std::filesystem::create_directory(dir_.path());
  EXPECT_NE(WaitForError(&recorder_).find("moved away"), std::string::npos);
  ASSERT_TRUE(registry_.Register(MakeInstance("svc", "b")).ok());
  EXPECT_TRUE(recorder_.WaitFor([](const std::vector<WatchEvent>& seen) {
    return FindEvent(seen, EventType::kCreate, "svc", "b") >= 0;
  })) << "the watch followed the old directory";
  std::filesystem::remove_all(dir_.path() + ".old");
}

// cat backup > registry.json: the create comes before the content.
TEST_F(FileWatchTest, AFileWrittenInPlaceIsReadOnceWhole) {
  ASSERT_TRUE(registry_.Register(MakeInstance("svc", "a")).ok());
  const std::string content = ReadBytes(path_);
  StartWatch();
  std::filesystem::remove(path_);
  ASSERT_TRUE(recorder_.WaitFor([](const std::vector<WatchEvent>& seen) {
    return FindEvent(seen, EventType::kDelete, "svc", "a") >= 0;
  }));
  int fd = open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0);
  std::this_thread::sleep_for(milliseconds(300));  // the watch wakes for the create meanwhile
  ASSERT_EQ(write(fd, content.data(), content.size()), static_cast<ssize_t>(content.size()));
  ASSERT_EQ(close(fd), 0);
  ASSERT_TRUE(recorder_.WaitFor([](const std::vector<WatchEvent>& seen) {
    return seen.back().type == EventType::kCreate && seen.back().instance.id == "a";
  }));
  for (const WatchEvent& e : recorder_.events()) {
    EXPECT_NE(e.type, EventType::kError) << "the empty file just created was reported: " << e.message;
  }
}

TEST_F(FileWatchTest, CancelWhileEventsFlow) {
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int i = 0; !stop; ++i) {
      ASSERT_TRUE(registry_.Register(MakeInstance("svc", "i" + std::to_string(i % 50)), {milliseconds(30000), true}).ok());
    }
  });
  std::atomic<int> calls{0};
  std::atomic<bool> cancelled{false};
  std::atomic<bool> called_after_cancel{false};
  for (int round = 0; round < 5; ++round) {
    std::unique_ptr<Watch> watch;
    ASSERT_TRUE(registry_
                    .StartWatch(
                        [&](const WatchEvent&) {
                          if (cancelled) called_after_cancel = true;
                          ++calls;
                          std::this_thread::sleep_for(std::chrono::microseconds(200));
                        },
                        &watch)
                    .ok());
    std::this_thread::sleep_for(milliseconds(100));
    watch->Cancel();
    cancelled = true;
    std::this_thread::sleep_for(milliseconds(50));
    EXPECT_FALSE(called_after_cancel);
    cancelled = false;
  }
  stop = true;
  writer.join();
  EXPECT_GT(calls, 0);
}

TEST_F(FileWatchTest, CancelFromInsideTheCallback) {
  ASSERT_TRUE(registry_.Register(MakeInstance("svc", "a")).ok());
  std::atomic<int> calls{0};
  std::unique_ptr<Watch> watch;
  std::mutex mu;
  std::unique_lock<std::mutex> hold(mu);  // the callback waits until `watch` is set
  ASSERT_TRUE(registry_
                  .StartWatch(
                      [&](const WatchEvent&) {
                        std::lock_guard<std::mutex> lock(mu);
                        ++calls;
                        watch->Cancel();
                      },
                      &watch)
                  .ok());
  hold.unlock();
  std::this_thread::sleep_for(milliseconds(200));
  ASSERT_TRUE(registry_.Register(MakeInstance("svc", "b")).ok());
  std::this_thread::sleep_for(milliseconds(200));
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace file_test
}  // namespace kreg
