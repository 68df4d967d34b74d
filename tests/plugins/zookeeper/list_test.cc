// ListServices against a tree written behind the plugin's back: what the
// pipelined listing returns is what GetService says of each service.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "kreg/json_format.hpp"
#include "zk_test_util.h"

namespace kreg {
namespace testing {
namespace {

// Service i of the tree below: which nodes it has.
struct Shape {
  int instances;         // valid ones, i0..
  bool instance_dir;     // without one, no instances either
  bool garbage;          // an instance node that is not JSON
  bool liar;             // a record whose id disagrees with its path
  bool invalid_id;       // a child whose name is no valid id
  bool property_dir;
  bool property;         // a valid property
  bool bad_property;     // a property node that is not a record
};

Shape ShapeOf(int i) {
  Shape s{};
  s.instance_dir = i % 13 != 0;
  s.instances = s.instance_dir ? i % 4 : 0;
  s.garbage = s.instance_dir && i % 10 == 3;
  s.liar = s.instance_dir && i % 17 == 5;
  s.invalid_id = s.instance_dir && i % 25 == 7;
  s.property_dir = i % 5 == 0 || i % 11 == 0;
  s.property = s.property_dir && i % 5 == 0 && i % 50 != 0;
  s.bad_property = s.property_dir && i % 50 == 0;
  return s;
}

std::string ServiceName(int i) {
  char name[16];
  std::snprintf(name, sizeof(name), "svc-%03d", i);
  return name;
}

TEST(ZooKeeperList, ManyServicesWithBrokenNodesListAsGetServiceReadsThem) {
  KREG_START_ZOOKEEPER(zk, 1);
  RawClient raw(zk->connect_string());
  ASSERT_TRUE(raw.connected());
  constexpr int kServices = 300;
  std::vector<std::pair<std::string, std::string>> nodes;  // path, data
  for (int i = 0; i < kServices; ++i) {
    const std::string name = ServiceName(i);
    const std::string node = "/discovery/" + name;
    const Shape s = ShapeOf(i);
    nodes.push_back({node, ""});
    if (s.instance_dir) nodes.push_back({node + "/instance", ""});
    for (int k = 0; k < s.instances; ++k) {
      const std::string id = "i" + std::to_string(k);
      nodes.push_back({node + "/instance/" + id, format::EncodeInstance(MakeInstance(name, id, k % 2 == 0 ? "z1" : "z2"))});
    }
    if (s.garbage) nodes.push_back({node + "/instance/garbage", "this is not json {"});
    if (s.liar) nodes.push_back({node + "/instance/liar", R"({"id":"someone-else"})"});
    if (s.invalid_id) nodes.push_back({node + "/instance/bad%id", format::EncodeInstance(MakeInstance(name, "x"))});
    if (s.property_dir) nodes.push_back({node + "/property", ""});
    if (s.property) {
      Property p;
      p.service_name = name;
      p.attrs["i0"][kMetadataOnline] = "N";
      nodes.push_back({node + "/property/backend", format::EncodeProperty(p)});
    }
    if (s.bad_property) nodes.push_back({node + "/property/backend", "[1,2,3]"});
  }
  for (const auto& [path, data] : nodes) ASSERT_EQ(raw.CreateAll(path, data), ZOK) << path;
  // Gone by the time the values are read: a deleted instance leaves its
  // trace in the version, a service emptied of its nodes stays listed.
  ASSERT_EQ(raw.Delete("/discovery/svc-001/instance/i0"), ZOK);
  ASSERT_EQ(raw.Delete("/discovery/svc-010/property/backend"), ZOK);

  LogCapture log;
  OpenOptions o = ZkOptions(*zk);
  o.log = log.Sink();
  Registry r;
  ASSERT_TRUE(OpenZk(o, &r).ok());
  std::vector<Service> all;
  Status s = r.ListServices(&all);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(all.size(), static_cast<size_t>(kServices));
  for (int i = 0; i < kServices; ++i) {
    const Service& listed = all[i];
    ASSERT_EQ(listed.service_name, ServiceName(i)) << "sorted by name";
    Service got;
    ASSERT_TRUE(r.GetService(listed.service_name, &got).ok());
    EXPECT_EQ(format::ServiceToJson(listed).dump(), format::ServiceToJson(got).dump());
    const Shape shape = ShapeOf(i);
    EXPECT_EQ(listed.instance_count(), static_cast<size_t>(shape.instances - (i == 1 ? 1 : 0))) << listed.service_name;
    if (shape.instance_dir || shape.property_dir) {
      EXPECT_GT(listed.version, 0) << listed.service_name;
    }
    if (shape.property && shape.instances > 0 && i != 10) {
      EXPECT_FALSE(listed.instances.at("z1").at("i0")->online()) << "the property is merged in";
    }
  }
  EXPECT_TRUE(log.Contains("/discovery/svc-003/instance/garbage", KREG_LOG_WARN)) << log.All();
  EXPECT_TRUE(log.Contains("/discovery/svc-005/instance/liar", KREG_LOG_WARN)) << log.All();
  EXPECT_TRUE(log.Contains("/discovery/svc-007/instance/bad%id", KREG_LOG_WARN)) << log.All();
  EXPECT_TRUE(log.Contains("/discovery/svc-050/property/backend", KREG_LOG_WARN)) << log.All();

  // A service deleted behind the plugin's back is no longer listed.
  ASSERT_EQ(raw.Delete("/discovery/svc-013"), ZOK);
  all.clear();
  ASSERT_TRUE(r.ListServices(&all).ok());
  EXPECT_EQ(all.size(), static_cast<size_t>(kServices - 1));
}

}  // namespace
}  // namespace testing
}  // namespace kreg
