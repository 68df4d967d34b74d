// The named event constructors every backend sends its events with
// (kreg/events.hpp).
#include <gtest/gtest.h>

#include "kreg/events.hpp"

namespace kreg {
namespace {

TEST(InstanceEvent, CarriesTheServiceTheInstanceAndItsDataVersion) {
  Instance in;
  in.service_name = "web";
  in.id = "i1";
  in.zone = "z1";
  in.version = 40;
  in.data_version = 3;
  for (EventType type : {EventType::kCreate, EventType::kModify, EventType::kDelete}) {
    WatchEvent e = InstanceEvent(type, in, 42);
    EXPECT_EQ(e.type, type);
    EXPECT_EQ(e.info, EventInfo::kInstance);
    EXPECT_EQ(e.service_name, "web");
    EXPECT_EQ(e.instance.id, "i1");
    EXPECT_EQ(e.instance.zone, "z1");
    EXPECT_EQ(e.version, 42) << "the service state's version, not the instance's own";
    EXPECT_EQ(e.instance.version, 40) << "the instance keeps its own version";
    EXPECT_EQ(e.data_version, 3);
    EXPECT_TRUE(e.message.empty());
    EXPECT_TRUE(e.property.service_name.empty());
  }
}

TEST(InstanceEvent, ADeleteNeedsOnlyTheServiceAndId) {
  Instance gone;
  gone.service_name = "web";
  gone.id = "i1";
  WatchEvent e = InstanceEvent(EventType::kDelete, gone, 7);
  EXPECT_EQ(e.service_name, "web");
  EXPECT_EQ(e.instance.id, "i1");
  EXPECT_EQ(e.data_version, 0);
  EXPECT_EQ(e.version, 7);
}

TEST(PropertyEvent, CarriesTheServiceThePropertyAndItsDataVersion) {
  Property p;
  p.service_name = "web";
  p.zone_weights["z1"].src = "z1";
  p.zone_weights["z1"].dst["z2"] = 5;
  p.attrs["i1"]["k"] = "v";
  p.version = 10;
  p.data_version = 2;
  WatchEvent e = PropertyEvent(EventType::kModify, p, 11);
  EXPECT_EQ(e.type, EventType::kModify);
  EXPECT_EQ(e.info, EventInfo::kProperty);
  EXPECT_EQ(e.service_name, "web");
  EXPECT_EQ(e.version, 11);
  EXPECT_EQ(e.data_version, 2);
  EXPECT_EQ(e.property.version, 10);
  EXPECT_EQ(e.property.zone_weights["z1"].dst["z2"], 5u);
  EXPECT_EQ(e.property.attrs["i1"]["k"], "v");
  EXPECT_TRUE(e.instance.id.empty());
}

TEST(SyncedEvent, HasNoDataAndVersionZero) {
  WatchEvent e = SyncedEvent();
  EXPECT_EQ(e.type, EventType::kSynced);
  EXPECT_EQ(e.info, EventInfo::kNone);
  EXPECT_EQ(e.version, 0);
  EXPECT_EQ(e.data_version, 0);
  EXPECT_TRUE(e.service_name.empty());
  EXPECT_TRUE(e.message.empty());
}

TEST(ErrorEvent, CarriesItsMessageAndVersionZero) {
  WatchEvent e = ErrorEvent("file /tmp/r.json: unreadable (permission denied)");
  EXPECT_EQ(e.type, EventType::kError);
  EXPECT_EQ(e.info, EventInfo::kNone);
  EXPECT_EQ(e.version, 0);
  EXPECT_EQ(e.message, "file /tmp/r.json: unreadable (permission denied)");
}

TEST(EventNames, AsPrinted) {
  EXPECT_STREQ(EventTypeName(EventType::kCreate), "create");
  EXPECT_STREQ(EventTypeName(EventType::kModify), "modify");
  EXPECT_STREQ(EventTypeName(EventType::kDelete), "delete");
  EXPECT_STREQ(EventTypeName(EventType::kSynced), "synced");
  EXPECT_STREQ(EventTypeName(EventType::kError), "error");
  EXPECT_STREQ(EventInfoName(EventInfo::kNone), "none");
  EXPECT_STREQ(EventInfoName(EventInfo::kInstance), "instance");
  EXPECT_STREQ(EventInfoName(EventInfo::kProperty), "property");
}

}  // namespace
}  // namespace kreg
