// Registry::GetService's snapshot form over the file plugin: a snapshot is
// shared while the service's version stays, and a plugin of ABI 1.0 (no
// get_service_since) is still served, with a fresh copy each time.
#include <gtest/gtest.h>

#include <cstddef>

#include "kreg/host/plugin_loader.h"
#include "kreg/registry.hpp"
#include "support/sample.h"
#include "support/temp_dir.h"

namespace kreg {
namespace host {
namespace {

class RegistrySnapshotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(LoadPlugin("file", {KREG_TEST_PLUGIN_DIR}, &plugin_).ok());
    options_.options["path"] = dir_.Join("registry.json");
  }

  testing::TempDir dir_;
  LoadedPlugin plugin_;
  OpenOptions options_;
};

TEST_F(RegistrySnapshotTest, ASnapshotIsSharedUntilTheServiceChanges) {
  Registry r;
  ASSERT_TRUE(Registry::Open(plugin_.library, plugin_.table, options_, &r).ok());
  ASSERT_TRUE(r.Register(testing::MakeInstance("svc", "a")).ok());
  std::shared_ptr<const Service> first, again, changed;
  ASSERT_TRUE(r.GetService("svc", &first).ok());
  ASSERT_TRUE(r.GetService("svc", &again).ok());
  EXPECT_EQ(first.get(), again.get());

  ASSERT_TRUE(r.Register(testing::MakeInstance("svc", "b")).ok());
  ASSERT_TRUE(r.GetService("svc", &changed).ok());
  EXPECT_NE(changed.get(), first.get());
  EXPECT_EQ(changed->instance_count(), 2u);
  EXPECT_EQ(first->instance_count(), 1u);

  std::shared_ptr<const Service> missing;
  EXPECT_EQ(r.GetService("nosuch", &missing).code(), KREG_NOT_FOUND);
  EXPECT_EQ(missing, nullptr);
}

TEST_F(RegistrySnapshotTest, APluginOfAbi10IsReadWithoutGetServiceSince) {
  // The table as a 1.0 plugin hands it over: it ends after set_property.
  kreg_plugin old_table = *plugin_.table;
  old_table.struct_size = offsetof(kreg_plugin, get_service_since);
  old_table.get_service_since = nullptr;
  Registry r;
  ASSERT_TRUE(Registry::Open(plugin_.library, &old_table, options_, &r).ok());
  ASSERT_TRUE(r.Register(testing::MakeInstance("svc", "a")).ok());
  std::shared_ptr<const Service> first, again;
  ASSERT_TRUE(r.GetService("svc", &first).ok());
  ASSERT_TRUE(r.GetService("svc", &again).ok());
  EXPECT_NE(first.get(), again.get());
  EXPECT_EQ(again->instance_count(), 1u);
  EXPECT_EQ(again->version, first->version);
}

}  // namespace
}  // namespace host
}  // namespace kreg
