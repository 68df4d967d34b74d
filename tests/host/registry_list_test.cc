// Registry::ListServices over the ABI: a plugin may pass services to the
// host while it still reads the rest (kreg.h list_services), so one that
// fails after passing some leaves the caller no part of a listing.
#include <gtest/gtest.h>

#include <cstdio>
#include <vector>

#include "kreg/host/plugin_loader.h"
#include "kreg/registry.hpp"
#include "support/sample.h"
#include "support/temp_dir.h"

namespace kreg {
namespace host {
namespace {

// The file plugin's list_services, which ListThenFail calls.
decltype(kreg_plugin::list_services) real_list_services = nullptr;

// Passes every service, then fails as a store lost mid-listing would.
kreg_status ListThenFail(kreg_backend* backend, kreg_service_fn fn, void* user_data, char* err, size_t err_size) {
  kreg_status status = real_list_services(backend, fn, user_data, err, err_size);
  if (status != KREG_OK) return status;
  std::snprintf(err, err_size, "the store went away");
  return KREG_UNAVAILABLE;
}

TEST(RegistryList, ServicesPassedBeforeAFailureAreDropped) {
  LoadedPlugin plugin;
  ASSERT_TRUE(LoadPlugin("file", {KREG_TEST_PLUGIN_DIR}, &plugin).ok());
  testing::TempDir dir;
  OpenOptions options;
  options.options["path"] = dir.Join("registry.json");
  kreg_plugin table = *plugin.table;
  real_list_services = table.list_services;
  table.list_services = &ListThenFail;
  Registry r;
  ASSERT_TRUE(Registry::Open(plugin.library, &table, options, &r).ok());
  ASSERT_TRUE(r.Register(testing::MakeInstance("svc", "a")).ok());

  std::vector<Service> out(2);
  Status s = r.ListServices(&out);
  EXPECT_EQ(s.code(), KREG_UNAVAILABLE) << s.ToString();
  EXPECT_EQ(s.message(), "the store went away");
  EXPECT_TRUE(out.empty()) << "svc was passed, and is dropped";
}

}  // namespace
}  // namespace host
}  // namespace kreg
