// A snapshot built from the last one (snapshot_changes.h) must equal one
// built from the state alone, and share every instance that did not change.
#include <gtest/gtest.h>

#include <string>

#include "kreg/json_format.hpp"
#include "snapshot_changes.h"
#include "support/sample.h"

namespace kreg {
namespace zk {
namespace {

class SnapshotChangesTest : public ::testing::Test {
 protected:
  void Put(const std::string& id, int64_t mzxid, const std::string& zone = "z1", int32_t data_version = 0) {
    Instance in = testing::MakeInstance("svc", id, zone);
    MirroredInstance& node = state_.instances[id];
    node.json = format::EncodeInstance(in);
    node.mzxid = mzxid;
    node.czxid = mzxid;
    node.data_version = data_version;
    state_.version = std::max(state_.version, mzxid);
  }

  // The next snapshot after `known`.
  Service Next(const Service* known) const {
    SnapshotChanges changes;
    CollectSnapshotChanges(state_, known, 0, &changes);
    return BuildSnapshot(layout_, "svc", std::move(changes));
  }

  void ExpectSameAsFromTheStateAlone(const Service& built) const {
    EXPECT_EQ(format::ServiceToJson(built).dump(), format::ServiceToJson(Next(nullptr)).dump());
  }

  const Layout layout_{"/discovery"};
  MirroredService state_;
};

TEST_F(SnapshotChangesTest, SharesTheUnchangedAndDecodesTheRest) {
  Put("a", 10);
  Put("b", 11);
  Put("c", 12, "z2");
  const Service first = Next(nullptr);
  ExpectSameAsFromTheStateAlone(first);

  Put("b", 20, "z1", 1);  // refreshed
  state_.instances.erase("c");
  Put("d", 21, "z3");     // new
  const Service second = Next(&first);
  ExpectSameAsFromTheStateAlone(second);
  EXPECT_EQ(second.instances.at("z1").at("a"), first.instances.at("z1").at("a"));
  EXPECT_NE(second.instances.at("z1").at("b"), first.instances.at("z1").at("b"));
  EXPECT_EQ(second.instances.at("z1").at("b")->data_version, 1);
  EXPECT_EQ(second.instances.count("z2"), 0u);
  EXPECT_EQ(second.Find("z3", "d")->version, 21);
}

// A node can reach the mirror after a snapshot at a later version (it was
// read late, say after a reconnect): its mzxid is then not above the last
// snapshot's version, and it must still be found.
TEST_F(SnapshotChangesTest, ANodeOlderThanTheLastSnapshotIsStillFoundNew) {
  Put("a", 10);
  Put("b", 30);
  const Service first = Next(nullptr);
  Put("late", 5);
  const Service second = Next(&first);
  ExpectSameAsFromTheStateAlone(second);
  ASSERT_NE(second.Find("z1", "late"), nullptr);
  EXPECT_EQ(second.instances.at("z1").at("a"), first.instances.at("z1").at("a"));
}

TEST_F(SnapshotChangesTest, ANewPropertyIsMergedIntoEveryInstanceAgain) {
  Put("a", 10);
  Put("b", 11);
  const Service first = Next(nullptr);
  state_.has_property = true;
  state_.property.service_name = "svc";
  state_.property.attrs["a"]["color"] = "green";
  state_.property_mzxid = 40;
  state_.version = 40;
  SnapshotChanges changes;
  CollectSnapshotChanges(state_, &first, 0, &changes);
  EXPECT_TRUE(changes.unchanged.empty()) << "the last snapshot was built under another property";
  const Service second = BuildSnapshot(layout_, "svc", std::move(changes));
  EXPECT_EQ(second.Find("z1", "a")->metadata.at("color"), "green");
  EXPECT_EQ(second.Find("z1", "b")->metadata.at("color"), "blue");
}

}  // namespace
}  // namespace zk
}  // namespace kreg
