// WatchState (plugins/file/src/watch_state.h): the events from what a watch
// reported to the next snapshot of the registry file, with the versions
// api/CONTRACT.md "Versions" asks for. Snapshots are built by hand, as
// FileStore would decode them.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "support/version_rule.h"
#include "watch_state.h"

namespace kreg {
namespace file {
namespace {

// An instance entry as stored at `version`, written `data_version` times.
InstanceEntry Entry(const std::string& service, const std::string& id, int64_t version, int64_t data_version = 1) {
  InstanceEntry e;
  e.instance.service_name = service;
  e.instance.id = id;
  e.instance.zone = "z1";
  e.instance.hostname = "host-" + id + "-v" + std::to_string(version);
  e.instance.version = version;
  e.instance.data_version = data_version;
  e.expires_at_ms = INT64_MAX;
  return e;
}

Property PropertyAt(const std::string& service, int64_t version, int64_t data_version = 1) {
  Property p;
  p.service_name = service;
  p.zone_weights["z1"].src = "z1";
  p.zone_weights["z1"].dst["z1"] = static_cast<uint64_t>(version);
  p.version = version;
  p.data_version = data_version;
  return p;
}

class SnapshotBuilder {
 public:
  explicit SnapshotBuilder(int64_t revision) { snap_.revision = revision; }

  SnapshotBuilder& Service(const std::string& name, int64_t version) {
    snap_.services[name].version = version;
    return *this;
  }
  SnapshotBuilder& Instance(const std::string& service, const std::string& id, int64_t version,
                            int64_t data_version = 1) {
    snap_.services[service].instances[id] = Entry(service, id, version, data_version);
    return *this;
  }
  SnapshotBuilder& WithProperty(const std::string& service, int64_t version, int64_t data_version = 1) {
    snap_.services[service].property = PropertyAt(service, version, data_version);
    return *this;
  }
  Snapshot Build() const { return snap_; }

 private:
  Snapshot snap_;
};

// "create instance web/a v10" for comparing event lists at a glance.
std::string Describe(const WatchEvent& e) {
  std::string key = e.service_name;
  if (e.info == EventInfo::kInstance) key += "/" + e.instance.id;
  if (e.info == EventInfo::kProperty) key += " property";
  return std::string(EventTypeName(e.type)) + " " + key + " v" + std::to_string(e.version);
}

std::vector<std::string> Describe(const std::vector<WatchEvent>& events) {
  std::vector<std::string> out;
  for (const WatchEvent& e : events) out.push_back(Describe(e));
  return out;
}

using Strings = std::vector<std::string>;

TEST(WatchState, TheFirstAdvanceIsTheInitialStateInVersionOrder) {
  WatchState state;
  std::vector<WatchEvent> events = state.Advance(SnapshotBuilder(30)
                                                     .Service("web", 30)
                                                     .Instance("web", "b", 30)
                                                     .Instance("web", "a", 12)
                                                     .WithProperty("web", 20)
                                                     .Service("api", 25)
                                                     .Instance("api", "x", 25)
                                                     .Build());
  // Every event of a service carries the service's version, whatever its
  // entry's own; services come in version order, entries in key order.
  EXPECT_EQ(Describe(events), (Strings{"create api/x v25", "create web/a v30", "create web/b v30",
                                       "create web property v30"}));
  for (const WatchEvent& e : events) EXPECT_EQ(e.type, EventType::kCreate);
  EXPECT_EQ(events[1].instance.version, 12) << "the instance keeps the version it last changed at";
  EXPECT_EQ(events[1].instance.hostname, "host-a-v12");
  EXPECT_EQ(events[3].property.version, 20);
  EXPECT_EQ(events[3].info, EventInfo::kProperty);
}

TEST(WatchState, AnEmptySnapshotGivesNoEvents) {
  WatchState state;
  EXPECT_TRUE(state.Advance(Snapshot()).empty());
  EXPECT_TRUE(state.Advance(SnapshotBuilder(5).Service("web", 5).Build()).empty()) << "a service with nothing in it";
}

TEST(WatchState, UnchangedEntriesGiveNoEvents) {
  WatchState state;
  state.Advance(SnapshotBuilder(10).Service("web", 10).Instance("web", "a", 10).WithProperty("web", 10).Build());
  EXPECT_TRUE(
      state.Advance(SnapshotBuilder(10).Service("web", 10).Instance("web", "a", 10).WithProperty("web", 10).Build())
          .empty());
  // Another service written: the file's revision and that service move on,
  // web's entries do not.
  std::vector<WatchEvent> events = state.Advance(SnapshotBuilder(11)
                                                     .Service("web", 10)
                                                     .Instance("web", "a", 10)
                                                     .WithProperty("web", 10)
                                                     .Service("api", 11)
                                                     .Instance("api", "x", 11)
                                                     .Build());
  EXPECT_EQ(Describe(events), (Strings{"create api/x v11"}));
}

TEST(WatchState, ANewEntryVersionIsAModifyCarryingTheNewData) {
  WatchState state;
  state.Advance(SnapshotBuilder(10).Service("web", 10).Instance("web", "a", 10).Instance("web", "b", 10).Build());
  std::vector<WatchEvent> events = state.Advance(
      SnapshotBuilder(14).Service("web", 14).Instance("web", "a", 14, 2).Instance("web", "b", 10).Build());
  ASSERT_EQ(Describe(events), (Strings{"modify web/a v14"}));
  EXPECT_EQ(events[0].instance.hostname, "host-a-v14");
  EXPECT_EQ(events[0].instance.version, 14);
  EXPECT_EQ(events[0].data_version, 2);
  EXPECT_EQ(events[0].instance.data_version, 2);
}

TEST(WatchState, ADeletedInstanceCarriesItsLastReportedData) {
  WatchState state;
  state.Advance(SnapshotBuilder(10).Service("web", 10).Instance("web", "a", 8, 3).Instance("web", "b", 10).Build());
  std::vector<WatchEvent> events =
      state.Advance(SnapshotBuilder(12).Service("web", 12).Instance("web", "b", 10).Build());
  ASSERT_EQ(Describe(events), (Strings{"delete web/a v12"}));
  EXPECT_EQ(events[0].info, EventInfo::kInstance);
  EXPECT_EQ(events[0].instance.hostname, "host-a-v8");
  EXPECT_EQ(events[0].data_version, 3);
  // Gone is gone: no second delete.
  EXPECT_TRUE(state.Advance(SnapshotBuilder(12).Service("web", 12).Instance("web", "b", 10).Build()).empty());
}

TEST(WatchState, ThePropertyIsCreatedModifiedAndDeleted) {
  WatchState state;
  state.Advance(SnapshotBuilder(10).Service("web", 10).Instance("web", "a", 10).Build());
  std::vector<WatchEvent> events =
      state.Advance(SnapshotBuilder(11).Service("web", 11).Instance("web", "a", 10).WithProperty("web", 11).Build());
  ASSERT_EQ(Describe(events), (Strings{"create web property v11"}));
  events = state.Advance(
      SnapshotBuilder(12).Service("web", 12).Instance("web", "a", 10).WithProperty("web", 12, 2).Build());
  ASSERT_EQ(Describe(events), (Strings{"modify web property v12"}));
  EXPECT_EQ(events[0].data_version, 2);
  EXPECT_EQ(events[0].property.zone_weights["z1"].dst["z1"], 12u);
  events = state.Advance(SnapshotBuilder(13).Service("web", 13).Instance("web", "a", 10).Build());
  ASSERT_EQ(Describe(events), (Strings{"delete web property v13"}));
  EXPECT_EQ(events[0].property.zone_weights["z1"].dst["z1"], 12u) << "its last reported data";
}

TEST(WatchState, OneWriteIsOneVersionForAllItsEvents) {
  WatchState state;
  state.Advance(SnapshotBuilder(10).Service("web", 10).Instance("web", "a", 10).Instance("web", "b", 10).Build());
  std::vector<WatchEvent> events = state.Advance(SnapshotBuilder(20)
                                                     .Service("web", 20)
                                                     .Instance("web", "b", 20, 2)
                                                     .Instance("web", "c", 20)
                                                     .WithProperty("web", 20)
                                                     .Build());
  EXPECT_EQ(Describe(events),
            (Strings{"modify web/b v20", "create web/c v20", "create web property v20", "delete web/a v20"}));
}

TEST(WatchState, CoalescedWritesOfSeveralServicesComeInVersionOrder) {
  WatchState state;
  state.Advance(SnapshotBuilder(10).Service("a", 10).Instance("a", "1", 10).Service("b", 10).Instance("b", "1", 10)
                    .Build());
  // Three writes seen at once: b at 11, a at 12, b's delete at 13.
  std::vector<WatchEvent> events = state.Advance(SnapshotBuilder(13)
                                                     .Service("a", 12)
                                                     .Instance("a", "1", 12, 2)
                                                     .Service("b", 13)
                                                     .Instance("b", "2", 11)
                                                     .Build());
  EXPECT_EQ(Describe(events), (Strings{"modify a/1 v12", "create b/2 v13", "delete b/1 v13"}))
      << "b's events take b's version in the snapshot, the state they bring it to";
}

TEST(WatchState, ADeletedServiceDeletesEachEntryAtOneNewVersion) {
  WatchState state;
  state.Advance(SnapshotBuilder(10)
                    .Service("web", 10)
                    .Instance("web", "a", 9)
                    .Instance("web", "b", 10)
                    .WithProperty("web", 10)
                    .Service("api", 7)
                    .Instance("api", "x", 7)
                    .Build());
  // The record edited away, the file's revision moved on: deletes take it.
  std::vector<WatchEvent> events = state.Advance(SnapshotBuilder(15).Service("api", 7).Instance("api", "x", 7).Build());
  EXPECT_EQ(Describe(events), (Strings{"delete web/a v15", "delete web/b v15", "delete web property v15"}));
  EXPECT_EQ(events[0].instance.hostname, "host-a-v9");
  EXPECT_EQ(events[2].info, EventInfo::kProperty);
}

TEST(WatchState, ADeletedServiceNeverGoesBackWhenTheRevisionDoesNot) {
  // The file removed (revision 0) or the record edited away with no new
  // revision: one more than the service's last version.
  for (int64_t revision : {int64_t{0}, int64_t{10}, int64_t{5}}) {
    SCOPED_TRACE(revision);
    WatchState state;
    state.Advance(SnapshotBuilder(10).Service("web", 10).Instance("web", "a", 10).Instance("web", "b", 4).Build());
    std::vector<WatchEvent> events = state.Advance(SnapshotBuilder(revision).Build());
    EXPECT_EQ(Describe(events), (Strings{"delete web/a v11", "delete web/b v11"}));
  }
}

TEST(WatchState, AServiceCreatedAgainAfterItsDeleteAndDeletedAgain) {
  WatchState state;
  state.Advance(SnapshotBuilder(10).Service("web", 10).Instance("web", "a", 10).Build());
  EXPECT_EQ(Describe(state.Advance(Snapshot())), (Strings{"delete web/a v11"})) << "the file removed";
  std::vector<WatchEvent> again = state.Advance(SnapshotBuilder(20).Service("web", 20).Instance("web", "a", 20).Build());
  EXPECT_EQ(Describe(again), (Strings{"create web/a v20"}));
  EXPECT_EQ(again[0].instance.hostname, "host-a-v20");
  EXPECT_EQ(Describe(state.Advance(Snapshot())), (Strings{"delete web/a v21"})) << "above the create, not the first delete";
}

// What a consumer holds after applying events: key -> the entry's version.
using Key = std::tuple<std::string, EventInfo, std::string>;

std::map<Key, int64_t> Contents(const Snapshot& snap) {
  std::map<Key, int64_t> out;
  for (const auto& [name, record] : snap.services) {
    for (const auto& [id, entry] : record.instances) out[{name, EventInfo::kInstance, id}] = entry.instance.version;
    if (record.property) out[{name, EventInfo::kProperty, ""}] = record.property->version;
  }
  return out;
}

TEST(WatchState, RandomWritesFollowTheVersionRuleAndLoseNothing) {
  std::mt19937_64 rng(42);
  auto below = [&](int n) { return static_cast<int>(rng() % static_cast<uint64_t>(n)); };
  const std::vector<std::string> services = {"a", "b", "c"};
  const std::vector<std::string> ids = {"1", "2", "3", "4"};

  WatchState state;
  testing::VersionRule rule;
  std::map<Key, int64_t> held;  // what the consumer of the events holds
  Snapshot snap;
  int64_t revision = 100;
  for (int step = 0; step < 3000; ++step) {
    Snapshot next = snap;
    // One to three writes coalesced into one read. A write takes a new
    // revision and stamps what it touches and its service with it.
    for (int writes = 1 + below(3); writes > 0; --writes) {
      revision += 2 + below(1000);  // a clock: never just one above a delete's version
      const std::string& service = services[static_cast<size_t>(below(3))];
      ServiceRecord& record = next.services[service];
      for (int changes = 1 + below(3); changes > 0; --changes) {
        const std::string& id = ids[static_cast<size_t>(below(4))];
        switch (below(4)) {
          case 0:
          case 1: {
            auto it = record.instances.find(id);
            const int64_t data_version = it == record.instances.end() ? 1 : it->second.instance.data_version + 1;
            record.instances[id] = Entry(service, id, revision, data_version);
            break;
          }
          case 2:
            record.instances.erase(id);
            break;
          case 3:
            if (below(2) == 0) {
              record.property = PropertyAt(service, revision);
            } else {
              record.property.reset();
            }
            break;
        }
      }
      record.version = revision;
      next.revision = revision;
    }
    // Now and then a service's record is edited away, or the whole file
    // removed, with no new revision.
    if (below(40) == 0) next.services.erase(services[static_cast<size_t>(below(3))]);
    if (below(200) == 0) next = Snapshot();

    std::vector<WatchEvent> events = state.Advance(next);
    std::map<std::string, int64_t> last_version;
    for (const WatchEvent& e : events) {
      const std::string broken = rule.Check(e);
      ASSERT_EQ(broken, "") << "step " << step;
      const Key key{e.service_name, e.info, e.info == EventInfo::kInstance ? e.instance.id : ""};
      const int64_t entry_version = e.info == EventInfo::kInstance ? e.instance.version : e.property.version;
      switch (e.type) {
        case EventType::kCreate:
          ASSERT_EQ(held.count(key), 0u) << "step " << step << ": " << Describe(e) << " of a key held";
          held[key] = entry_version;
          break;
        case EventType::kModify:
          ASSERT_EQ(held.count(key), 1u) << "step " << step << ": " << Describe(e) << " of a key not held";
          ASSERT_NE(held[key], entry_version) << "step " << step << ": " << Describe(e) << " changes nothing";
          held[key] = entry_version;
          break;
        case EventType::kDelete:
          ASSERT_EQ(held.erase(key), 1u) << "step " << step << ": " << Describe(e) << " of a key not held";
          break;
        default:
          FAIL() << "step " << step << ": " << Describe(e);
      }
      last_version[e.service_name] = e.version;
    }
    ASSERT_EQ(held, Contents(next)) << "step " << step << ": the events bring the consumer to the snapshot";
    for (const auto& [service, version] : last_version) {
      auto record = next.services.find(service);
      if (record != next.services.end()) {
        ASSERT_EQ(version, record->second.version)
            << "step " << step << ": " << service << " is at its last event's version, as get_service says";
      }
    }
    snap = next;
  }
}

}  // namespace
}  // namespace file
}  // namespace kreg
