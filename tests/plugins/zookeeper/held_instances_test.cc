// The held table's leases and check flags (plugins/zookeeper/src/held_instances.h):
// what TakeExpired and TakeChecks return after renewals to longer and
// shorter leases, replaced and taken entries, and repeated flags. Times
// are passed in, so nothing here sleeps.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "held_instances.h"

namespace kreg {
namespace zk {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::seconds;

HeldInstance Entry(const std::string& id, LeaseClock::duration lease, bool check = false) {
  HeldInstance e;
  e.service = "svc";
  e.id = id;
  e.deadline = LeaseClock::now() + lease;
  e.check = check;
  return e;
}

std::vector<std::string> Ids(const std::vector<HeldInstance>& entries) {
  std::vector<std::string> ids;
  for (const HeldInstance& e : entries) ids.push_back(e.id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

std::vector<std::string> Ids(const std::vector<HeldInstances::Name>& names) {
  std::vector<std::string> ids;
  for (const auto& n : names) ids.push_back(n.id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

std::string Key(const std::string& id) { return HeldInstances::Key("svc", id); }

TEST(HeldInstances, LeasesEndOnceAtTheirLatestDeadline) {
  HeldInstances held;
  const auto start = LeaseClock::now();
  held.Put(Key("short"), Entry("short", seconds(1)));
  held.Put(Key("long"), Entry("long", hours(1)));
  held.Put(Key("renewed"), Entry("renewed", seconds(1)));
  held.Put(Key("replaced"), Entry("replaced", seconds(1)));
  held.Put(Key("replaced"), Entry("replaced", hours(1)));
  held.Put(Key("taken"), Entry("taken", seconds(1)));
  HeldInstance taken;
  ASSERT_TRUE(held.Take(Key("taken"), &taken));
  ASSERT_TRUE(held.Renew(Key("renewed"), milliseconds(hours(1))));
  EXPECT_FALSE(held.Renew(Key("unknown"), milliseconds(1000)));

  EXPECT_TRUE(held.TakeExpired(start).empty());
  EXPECT_EQ(Ids(held.TakeExpired(start + seconds(2))), std::vector<std::string>{"short"});
  EXPECT_TRUE(held.TakeExpired(start + seconds(2)).empty()) << "an ended lease is taken once";
  EXPECT_EQ(Ids(held.TakeExpired(start + hours(2))), (std::vector<std::string>{"long", "renewed", "replaced"}));
  EXPECT_TRUE(held.TakeExpired(start + hours(3)).empty());
}

// A keepalive with a shorter TTL than the register's ends the lease at
// the shorter end, not when the first one would have.
TEST(HeldInstances, ARenewalToAShorterLeaseEndsAtTheShorterEnd) {
  HeldInstances held;
  const auto start = LeaseClock::now();
  held.Put(Key("a"), Entry("a", hours(1)));
  ASSERT_TRUE(held.Renew(Key("a"), milliseconds(1000)));
  ASSERT_TRUE(held.Renew(Key("a"), milliseconds(500)));
  EXPECT_EQ(Ids(held.TakeExpired(start + seconds(2))), std::vector<std::string>{"a"});
  EXPECT_FALSE(held.Contains(Key("a")));
  EXPECT_TRUE(held.TakeExpired(start + hours(2)).empty());
}

// Registers and deregisters by the thousand leave nothing behind that
// ends a lease of the same key later.
TEST(HeldInstances, ChurnLeavesOnlyTheLiveLeases) {
  HeldInstances held;
  const auto start = LeaseClock::now();
  for (int round = 0; round < 5; ++round) {
    for (int i = 0; i < 2000; ++i) held.Put(Key("i" + std::to_string(i)), Entry("i" + std::to_string(i), seconds(1)));
    HeldInstance out;
    for (int i = 0; i < 2000; ++i) ASSERT_TRUE(held.Take(Key("i" + std::to_string(i)), &out));
  }
  held.Put(Key("i7"), Entry("i7", hours(1)));
  EXPECT_TRUE(held.TakeExpired(start + seconds(2)).empty());
  EXPECT_TRUE(held.Contains(Key("i7")));
  EXPECT_EQ(Ids(held.TakeExpired(start + hours(2))), std::vector<std::string>{"i7"});
}

TEST(HeldInstances, EachFlaggedEntryIsCheckedOnce) {
  HeldInstances held;
  held.Put(Key("new"), Entry("new", hours(1), /*check=*/true));
  held.Put(Key("quiet"), Entry("quiet", hours(1)));
  held.Put(Key("gone"), Entry("gone", hours(1), /*check=*/true));
  EXPECT_TRUE(held.MarkCheck(Key("new")));
  EXPECT_FALSE(held.MarkCheck(Key("unknown")));
  HeldInstance out;
  ASSERT_TRUE(held.Take(Key("gone"), &out));
  EXPECT_EQ(Ids(held.TakeChecks()), std::vector<std::string>{"new"});
  EXPECT_TRUE(held.TakeChecks().empty()) << "taking the checks clears the flags";

  EXPECT_FALSE(held.MarkFailed(Key("quiet")));
  EXPECT_TRUE(held.MarkFailed(Key("quiet"))) << "it had failed before";
  EXPECT_EQ(Ids(held.TakeChecks()), std::vector<std::string>{"quiet"});

  // A flagged entry replaced by one without the flag is not checked.
  held.Put(Key("quiet"), Entry("quiet", hours(1), /*check=*/true));
  held.Put(Key("quiet"), Entry("quiet", hours(1)));
  EXPECT_TRUE(held.TakeChecks().empty());

  held.MarkAllForRecreate();
  std::vector<HeldInstances::Name> all = held.TakeChecks();
  EXPECT_EQ(Ids(all), (std::vector<std::string>{"new", "quiet"}));
  ASSERT_TRUE(held.Get(Key("new"), &out));
  EXPECT_TRUE(out.recreate);
  EXPECT_FALSE(out.check);
}

}  // namespace
}  // namespace zk
}  // namespace kreg
