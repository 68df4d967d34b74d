// Registry::GetService's snapshot form over the file plugin: a snapshot is
// shared while the service's version stays; a plugin of ABI 1.2 (no
// get_service_changes) is read through get_service_since, one of ABI 1.0
// (neither) with a fresh copy each time; a delta the host cannot apply is
// refused.
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

  // Opens `table`, registers svc/a and reads it twice, as snapshots.
  void OpenAndReadTwice(const kreg_plugin* table, Registry* r, std::shared_ptr<const Service>* first,
                        std::shared_ptr<const Service>* again) {
    ASSERT_TRUE(Registry::Open(plugin_.library, table, options_, r).ok());
    ASSERT_TRUE(r->Register(testing::MakeInstance("svc", "a")).ok());
    ASSERT_TRUE(r->GetService("svc", first).ok());
    ASSERT_TRUE(r->GetService("svc", again).ok());
  }

  // A read through a plugin whose get_service_changes is `answer` fails as
  // INTERNAL with `message` and hands out nothing.
  void ExpectRefused(decltype(kreg_plugin::get_service_changes) answer, const std::string& message) {
    kreg_plugin table = *plugin_.table;
    table.get_service_changes = answer;
    Registry r;
    ASSERT_TRUE(Registry::Open(plugin_.library, &table, options_, &r).ok());
    std::shared_ptr<const Service> read;
    Status s = r.GetService("svc", &read);
    EXPECT_EQ(s.code(), KREG_INTERNAL) << s.ToString();
    EXPECT_NE(s.message().find(message), std::string::npos) << s.message();
    EXPECT_EQ(read, nullptr);
  }

  testing::TempDir dir_;
  LoadedPlugin plugin_;
  OpenOptions options_;
};

TEST_F(RegistrySnapshotTest, ASnapshotIsSharedUntilTheServiceChanges) {
  Registry r;
  std::shared_ptr<const Service> first, again, changed;
  ASSERT_NO_FATAL_FAILURE(OpenAndReadTwice(plugin_.table, &r, &first, &again));
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

TEST_F(RegistrySnapshotTest, APluginOfAbi12IsReadThroughGetServiceSince) {
  // The table as a 1.2 plugin hands it over: it ends after register_instance_async.
  kreg_plugin old_table = *plugin_.table;
  old_table.struct_size = offsetof(kreg_plugin, get_service_changes);
  old_table.get_service_changes = nullptr;
  Registry r;
  std::shared_ptr<const Service> first, again, changed;
  ASSERT_NO_FATAL_FAILURE(OpenAndReadTwice(&old_table, &r, &first, &again));
  EXPECT_EQ(first.get(), again.get());
  ASSERT_TRUE(r.Register(testing::MakeInstance("svc", "b")).ok());
  ASSERT_TRUE(r.GetService("svc", &changed).ok());
  EXPECT_EQ(changed->instance_count(), 2u);
}

// A plugin that answers every read as a delta from nothing.
kreg_status DeltaFromNothing(kreg_backend*, kreg_str name, int64_t, int* unchanged, kreg_service_changes_fn fn,
                             void* user_data, char*, size_t) {
  *unchanged = 0;
  kreg_service service{};
  service.struct_size = sizeof(service);
  service.service_name = name;
  service.version = 5;
  kreg_service_changes changes{};
  changes.struct_size = sizeof(changes);
  changes.service = &service;
  changes.is_delta = 1;
  fn(user_data, &changes);
  return KREG_OK;
}

TEST_F(RegistrySnapshotTest, ADeltaFromAVersionTheHostDoesNotHoldIsRefused) {
  ExpectRefused(&DeltaFromNothing, "with a delta from a version this host does not hold");
}

// A plugin whose answer has no service in it.
kreg_status AnswerWithoutAService(kreg_backend*, kreg_str, int64_t, int* unchanged, kreg_service_changes_fn fn,
                                  void* user_data, char*, size_t) {
  *unchanged = 0;
  kreg_service_changes changes{};
  changes.struct_size = sizeof(changes);
  fn(user_data, &changes);
  return KREG_OK;
}

TEST_F(RegistrySnapshotTest, AnAnswerWithoutAServiceIsRefused) {
  ExpectRefused(&AnswerWithoutAService, "get_service_changes without a service");
}

TEST_F(RegistrySnapshotTest, APluginOfAbi10IsReadWithoutGetServiceSince) {
  // The table as a 1.0 plugin hands it over: it ends after set_property.
  kreg_plugin old_table = *plugin_.table;
  old_table.struct_size = offsetof(kreg_plugin, get_service_since);
  old_table.get_service_since = nullptr;
  Registry r;
  std::shared_ptr<const Service> first, again;
  ASSERT_NO_FATAL_FAILURE(OpenAndReadTwice(&old_table, &r, &first, &again));
  EXPECT_NE(first.get(), again.get());
  EXPECT_EQ(again->instance_count(), 1u);
  EXPECT_EQ(again->version, first->version);
}

}  // namespace
}  // namespace host
}  // namespace kreg
