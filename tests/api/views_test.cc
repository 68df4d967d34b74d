// The C views of kreg.h and the C++ values (kreg/views.hpp): a value viewed
// and copied back is the same value; a view borrows, pointing into the
// value it views; arrays are stepped by their producer's struct_size.
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "kreg/events.hpp"
#include "kreg/views.hpp"
#include "support/sample.h"

namespace kreg {
namespace {

StringMap ManyEntries(const std::string& prefix, size_t n) {
  StringMap m;
  for (size_t i = 0; i < n; ++i) m[prefix + std::to_string(i)] = "value-" + std::to_string(i * 7);
  return m;
}

// The suites' sample instance with `map_entries` addrs and metadata, and
// versions set as a backend's read would.
Instance WithMaps(const std::string& id, const std::string& zone, size_t map_entries) {
  Instance in = testing::MakeInstance("web", id, zone);
  in.addrs = ManyEntries("scheme", map_entries);
  in.metadata = ManyEntries("key", map_entries);
  in.version = 1234567890123;
  in.data_version = 4;
  return in;
}

void ExpectSameInstance(const Instance& want, const Instance& got) {
  EXPECT_EQ(got.id, want.id);
  EXPECT_EQ(got.service_name, want.service_name);
  EXPECT_EQ(got.zone, want.zone);
  EXPECT_EQ(got.env, want.env);
  EXPECT_EQ(got.hostname, want.hostname);
  EXPECT_EQ(got.addrs, want.addrs);
  EXPECT_EQ(got.metadata, want.metadata);
  EXPECT_EQ(got.reg_time, want.reg_time);
  EXPECT_EQ(got.update_time, want.update_time);
  EXPECT_EQ(got.version, want.version);
  EXPECT_EQ(got.data_version, want.data_version);
}

Property MakeProperty(size_t zones, size_t attrs) {
  Property p;
  p.service_name = "web";
  for (size_t z = 0; z < zones; ++z) {
    ZoneWeight& w = p.zone_weights["z" + std::to_string(z)];
    w.src = "z" + std::to_string(z);
    for (size_t d = 0; d < zones; ++d) w.dst["z" + std::to_string(d)] = z * 100 + d;
  }
  for (size_t i = 0; i < attrs; ++i) p.attrs["i" + std::to_string(i)] = ManyEntries("attr", i % 12);
  p.version = 99;
  p.data_version = 2;
  return p;
}

void ExpectSameProperty(const Property& want, const Property& got) {
  EXPECT_EQ(got.service_name, want.service_name);
  ASSERT_EQ(got.zone_weights.size(), want.zone_weights.size());
  for (const auto& [zone, w] : want.zone_weights) {
    auto it = got.zone_weights.find(zone);
    ASSERT_NE(it, got.zone_weights.end()) << zone;
    EXPECT_EQ(it->second.src, w.src);
    EXPECT_EQ(it->second.dst, w.dst);
  }
  EXPECT_EQ(got.attrs, want.attrs);
  EXPECT_EQ(got.version, want.version);
  EXPECT_EQ(got.data_version, want.data_version);
}

void ExpectSameService(const Service& want, const Service& got) {
  EXPECT_EQ(got.service_name, want.service_name);
  EXPECT_EQ(got.metadata, want.metadata);
  EXPECT_EQ(got.update_time, want.update_time);
  EXPECT_EQ(got.version, want.version);
  ASSERT_EQ(got.instances.size(), want.instances.size());
  for (const auto& [zone, by_id] : want.instances) {
    ASSERT_EQ(got.instances.count(zone), 1u) << zone;
    const auto& got_zone = got.instances.at(zone);
    ASSERT_EQ(got_zone.size(), by_id.size()) << zone;
    for (const auto& [id, in] : by_id) {
      ASSERT_EQ(got_zone.count(id), 1u) << id;
      ExpectSameInstance(*in, *got_zone.at(id));
    }
  }
}

bool Borrows(kreg_str view, const std::string& s) { return view.data == s.data() && view.size == s.size(); }

TEST(InstanceView, RoundTripsWithEmptyFewAndManyEntries) {
  // 8 entries fit the view's inline storage; 9 and more go to the heap.
  for (size_t n : {0, 1, 8, 9, 2000}) {
    SCOPED_TRACE(n);
    Instance in = WithMaps("i1", "z1", n);
    InstanceView view(in);
    EXPECT_EQ(view.get()->struct_size, sizeof(kreg_instance));
    EXPECT_EQ(view.get()->addrs_count, n);
    ExpectSameInstance(in, ToValue(*view.get()));
  }
}

TEST(InstanceView, EmptyStringsRoundTripAsEmpty) {
  Instance empty;
  InstanceView view(empty);
  ExpectSameInstance(empty, ToValue(*view.get()));
}

TEST(InstanceView, PointsIntoTheValue) {
  for (size_t n : {3, 20}) {
    Instance in = WithMaps("i1", "z1", n);
    InstanceView view(in);
    const kreg_instance* c = view.get();
    EXPECT_TRUE(Borrows(c->id, in.id));
    EXPECT_TRUE(Borrows(c->service_name, in.service_name));
    EXPECT_TRUE(Borrows(c->zone, in.zone));
    EXPECT_TRUE(Borrows(c->env, in.env));
    EXPECT_TRUE(Borrows(c->hostname, in.hostname));
    size_t i = 0;
    for (const auto& [k, v] : in.metadata) {
      EXPECT_TRUE(Borrows(c->metadata[i].key, k)) << k;
      EXPECT_TRUE(Borrows(c->metadata[i].value, v)) << k;
      ++i;
    }
    i = 0;
    for (const auto& [k, v] : in.addrs) {
      EXPECT_TRUE(Borrows(c->addrs[i].key, k)) << k;
      EXPECT_TRUE(Borrows(c->addrs[i].value, v)) << k;
      ++i;
    }
  }
}

TEST(ToValue, AnEmptyStringMayHaveANullPointer) {
  kreg_instance c{};
  c.struct_size = sizeof(c);
  c.id = kreg_str{nullptr, 0};
  kreg_kv kv{{"k", 1}, {nullptr, 0}};
  c.metadata = &kv;
  c.metadata_count = 1;
  Instance in = ToValue(c);
  EXPECT_EQ(in.id, "");
  EXPECT_EQ(in.metadata, StringMap({{"k", ""}}));
}

TEST(ToValue, ValuesAreCopiedNotBorrowed) {
  std::string id = "i1";
  kreg_instance c{};
  c.struct_size = sizeof(c);
  c.id = ToStr(id);
  Instance in = ToValue(c);
  id[0] = 'x';
  EXPECT_EQ(in.id, "i1");
}

TEST(PropertyView, RoundTripsWithEmptyAndLargeMaps) {
  for (auto [zones, attrs] : {std::pair<size_t, size_t>{0, 0}, {1, 1}, {3, 0}, {0, 5}, {40, 500}}) {
    SCOPED_TRACE(std::to_string(zones) + " zones, " + std::to_string(attrs) + " attrs");
    Property p = MakeProperty(zones, attrs);
    PropertyView view(p);
    EXPECT_EQ(view.get()->zone_weights_count, zones);
    EXPECT_EQ(view.get()->attrs_count, attrs);
    ExpectSameProperty(p, ToValue(*view.get()));
  }
}

TEST(PropertyView, AZoneWithNoDestinationsAndAnInstanceWithNoAttrsSurvive) {
  Property p;
  p.service_name = "web";
  p.zone_weights["z1"].src = "z1";
  p.attrs["i1"];
  PropertyView view(p);
  Property back = ToValue(*view.get());
  ASSERT_EQ(back.zone_weights.count("z1"), 1u);
  EXPECT_TRUE(back.zone_weights["z1"].dst.empty());
  ASSERT_EQ(back.attrs.count("i1"), 1u);
  EXPECT_TRUE(back.attrs["i1"].empty());
}

TEST(PropertyView, PointsIntoTheValue) {
  Property p = MakeProperty(3, 4);
  PropertyView view(p);
  const kreg_property* c = view.get();
  EXPECT_TRUE(Borrows(c->service_name, p.service_name));
  size_t i = 0;
  for (const auto& [zone, w] : p.zone_weights) {
    EXPECT_TRUE(Borrows(c->zone_weights[i].zone, zone));
    EXPECT_TRUE(Borrows(c->zone_weights[i].src, w.src));
    size_t j = 0;
    for (const auto& [to, weight] : w.dst) {
      EXPECT_TRUE(Borrows(c->zone_weights[i].dst[j].zone, to));
      EXPECT_EQ(c->zone_weights[i].dst[j].weight, weight);
      ++j;
    }
    ++i;
  }
  i = 0;
  for (const auto& [id, attrs] : p.attrs) {
    EXPECT_TRUE(Borrows(c->attrs[i].instance_id, id));
    size_t j = 0;
    for (const auto& [k, v] : attrs) {
      EXPECT_TRUE(Borrows(c->attrs[i].attrs[j].key, k));
      EXPECT_TRUE(Borrows(c->attrs[i].attrs[j].value, v));
      ++j;
    }
    ++i;
  }
}

Service MakeService(size_t zones, size_t per_zone) {
  Service s;
  s.service_name = "web";
  for (size_t z = 0; z < zones; ++z) {
    const std::string zone = "z" + std::to_string(z);
    for (size_t i = 0; i < per_zone; ++i) {
      const std::string id = zone + "-i" + std::to_string(i);
      s.instances[zone][id] = std::make_shared<const Instance>(WithMaps(id, zone, i % 11));
    }
  }
  s.metadata = ManyEntries("meta", zones);
  s.update_time = 1700000100;
  s.version = 77;
  return s;
}

TEST(ServiceView, RoundTripsEmptyAndLarge) {
  for (auto [zones, per_zone] : {std::pair<size_t, size_t>{0, 0}, {1, 1}, {1, 9}, {5, 200}}) {
    SCOPED_TRACE(std::to_string(zones) + " zones of " + std::to_string(per_zone));
    Service s = MakeService(zones, per_zone);
    ServiceView view(s);
    EXPECT_EQ(view.get()->instances_count, zones * per_zone);
    ExpectSameService(s, ToValue(*view.get()));
  }
}

TEST(ServiceView, EachInstancePointsIntoTheValue) {
  Service s = MakeService(3, 12);
  ServiceView view(s);
  const kreg_service* c = view.get();
  size_t i = 0;
  for (const auto& [zone, by_id] : s.instances) {
    for (const auto& [id, shared] : by_id) {
      const Instance& in = *shared;
      const kreg_instance& ci = c->instances[i++];
      EXPECT_TRUE(Borrows(ci.id, in.id));
      EXPECT_TRUE(Borrows(ci.zone, in.zone));
      ASSERT_EQ(ci.metadata_count, in.metadata.size());
      if (!in.metadata.empty()) {
        EXPECT_TRUE(Borrows(ci.metadata[0].key, in.metadata.begin()->first));
      }
    }
  }
  EXPECT_TRUE(Borrows(c->service_name, s.service_name));
}

TEST(ServiceChangesView, ADeltaAppliedToTheBaseIsTheNewService) {
  const Service base = MakeService(3, 5);
  Service now = base;
  Instance replaced = *now.instances.at("z0").at("z0-i1");
  replaced.metadata["moved"] = "yes";
  now.instances.at("z0").at("z0-i1") = std::make_shared<const Instance>(replaced);
  now.instances.at("z1").erase("z1-i0");
  now.instances.erase("z2");
  AddInstance(WithMaps("z9-i0", "z9", 3), &now);
  now.metadata["new"] = "key";
  now.version = base.version + 1;
  std::vector<InstancePtr> changed, removed;
  DiffInstances(base, now, &changed, &removed);

  ServiceChangesView view(now, changed, removed);
  const kreg_service_changes& c = *view.get();
  EXPECT_EQ(c.is_delta, 1);
  EXPECT_EQ(c.service->instances_count, 2u);  // the replaced and the new
  EXPECT_EQ(c.removed_count, 6u);             // one of z1, all five of z2
  Service applied = ApplyServiceChanges(base, c);
  ExpectSameService(now, applied);
  EXPECT_EQ(applied.instances.at("z0").at("z0-i0"), base.instances.at("z0").at("z0-i0"))
      << "an unchanged instance is the base's object, not a copy";
  EXPECT_EQ(applied.instances.count("z2"), 0u) << "an emptied zone goes";
}

TEST(ServiceChangesView, AWholeAnswerIgnoresTheBase) {
  const Service now = MakeService(2, 4);
  ServiceChangesView view(now);
  EXPECT_EQ(view.get()->is_delta, 0);
  EXPECT_EQ(view.get()->removed_count, 0u);
  ExpectSameService(now, ApplyServiceChanges(MakeService(1, 9), *view.get()));
}

TEST(ToValue, ServiceInstancesAreSteppedByTheProducersStructSize) {
  // A plugin of a later minor version hands over larger instances.
  struct LaterInstance {
    kreg_instance base;
    int64_t field_of_a_later_minor;
  };
  Instance a = WithMaps("a", "z1", 2);
  Instance b = WithMaps("b", "z2", 0);
  InstanceView va(a);
  InstanceView vb(b);
  LaterInstance later[2] = {{*va.get(), 111}, {*vb.get(), 222}};
  for (LaterInstance& l : later) l.base.struct_size = sizeof(LaterInstance);
  kreg_service c{};
  c.struct_size = sizeof(c);
  c.instances = &later[0].base;
  c.instances_count = 2;
  Service s = ToValue(c);
  ASSERT_EQ(s.instance_count(), 2u);
  ExpectSameInstance(a, *s.instances["z1"]["a"]);
  ExpectSameInstance(b, *s.instances["z2"]["b"]);
}

TEST(WatchEventView, RoundTripsEveryKindOfEvent) {
  Instance gone;
  gone.service_name = "web";
  gone.id = "i1";
  const WatchEvent instance_event = InstanceEvent(EventType::kModify, WithMaps("i1", "z1", 9), 50);
  const WatchEvent property_event = PropertyEvent(EventType::kCreate, MakeProperty(2, 2), 51);
  const WatchEvent delete_event = InstanceEvent(EventType::kDelete, gone, 52);
  const WatchEvent synced = SyncedEvent();
  const WatchEvent error = ErrorEvent("something went wrong, and how to fix it");

  for (const WatchEvent* e : {&instance_event, &property_event, &delete_event, &synced, &error}) {
    SCOPED_TRACE(EventTypeName(e->type));
    WatchEventView view(*e);
    const kreg_watch_event* c = view.get();
    EXPECT_EQ(c->struct_size, sizeof(kreg_watch_event));
    EXPECT_EQ(c->instance != nullptr, e->info == EventInfo::kInstance) << "non-NULL iff info == INSTANCE";
    EXPECT_EQ(c->property != nullptr, e->info == EventInfo::kProperty) << "non-NULL iff info == PROPERTY";
    WatchEvent back = ToValue(*c);
    EXPECT_EQ(back.type, e->type);
    EXPECT_EQ(back.info, e->info);
    EXPECT_EQ(back.service_name, e->service_name);
    EXPECT_EQ(back.version, e->version);
    EXPECT_EQ(back.data_version, e->data_version);
    EXPECT_EQ(back.message, e->message);
    ExpectSameInstance(e->instance, back.instance);
    ExpectSameProperty(e->property, back.property);
  }
}

TEST(WatchEventView, TheCEnumsAreTheCodesOfKregH) {
  const std::pair<EventType, kreg_event_type> types[] = {{EventType::kCreate, KREG_EVENT_CREATE},
                                                         {EventType::kModify, KREG_EVENT_MODIFY},
                                                         {EventType::kDelete, KREG_EVENT_DELETE},
                                                         {EventType::kSynced, KREG_EVENT_SYNCED},
                                                         {EventType::kError, KREG_EVENT_ERROR}};
  for (auto [type, code] : types) {
    WatchEvent e;
    e.type = type;
    WatchEventView view(e);
    EXPECT_EQ(view.get()->type, code);
    EXPECT_EQ(view.get()->info, KREG_INFO_NONE);
  }
}

TEST(WatchEventView, PointsIntoTheEvent) {
  WatchEvent e;
  e.type = EventType::kCreate;
  e.info = EventInfo::kInstance;
  e.service_name = "web";
  e.instance = WithMaps("i1", "z1", 1);
  e.message = "unused";
  WatchEventView view(e);
  EXPECT_TRUE(Borrows(view.get()->service_name, e.service_name));
  EXPECT_TRUE(Borrows(view.get()->message, e.message));
  EXPECT_TRUE(Borrows(view.get()->instance->id, e.instance.id));
}

TEST(ToKvs, ViewsEachEntryInKeyOrder) {
  StringMap m = {{"b", "2"}, {"a", "1"}};
  std::vector<kreg_kv> kvs = ToKvs(m);
  ASSERT_EQ(kvs.size(), 2u);
  EXPECT_EQ(ToString(kvs[0].key), "a");
  EXPECT_EQ(ToString(kvs[1].value), "2");
  EXPECT_EQ(ToStringMap(kvs.data(), kvs.size()), m);
}

}  // namespace
}  // namespace kreg
