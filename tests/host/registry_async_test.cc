// Registry::RegisterAsync over the file plugin: the glue's default (the
// backend's synchronous Register, then `done`) and the host's fallback for
// a plugin older than ABI 1.2 (no register_instance_async) both report
// every register exactly once, with Register's result.
#include <gtest/gtest.h>

#include <cstddef>
#include <thread>
#include <vector>

#include "kreg/host/plugin_loader.h"
#include "kreg/registry.hpp"
#include "support/sample.h"
#include "support/temp_dir.h"

namespace kreg {
namespace host {
namespace {

// What the `done` of one RegisterAsync saw.
struct Outcome {
  int calls = 0;
  Status status;
  std::thread::id thread;
};

Registry::RegisterDone Record(Outcome* out) {
  return [out](const Status& s) {
    ++out->calls;
    out->status = s;
    out->thread = std::this_thread::get_id();
  };
}

class RegistryAsyncTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(LoadPlugin("file", {KREG_TEST_PLUGIN_DIR}, &plugin_).ok());
    options_.options["path"] = dir_.Join("registry.json");
    table_ = *plugin_.table;
    if (GetParam()) {
      // The table as a 1.1 plugin hands it over: it ends after get_service_since.
      table_.struct_size = offsetof(kreg_plugin, register_instance_async);
      table_.register_instance_async = nullptr;
    }
    ASSERT_TRUE(Registry::Open(plugin_.library, &table_, options_, &registry_).ok());
  }

  testing::TempDir dir_;
  LoadedPlugin plugin_;
  OpenOptions options_;
  kreg_plugin table_{};
  Registry registry_;
};

TEST_P(RegistryAsyncTest, EachRegisterIsReportedOnceWithRegistersResult) {
  // The file backend answers every register before RegisterAsync returns.
  std::vector<Outcome> outcomes(20);
  for (size_t i = 0; i < outcomes.size(); ++i) {
    registry_.RegisterAsync(testing::MakeInstance("svc", "i" + std::to_string(i)), {}, Record(&outcomes[i]));
  }
  for (const Outcome& o : outcomes) {
    EXPECT_EQ(o.calls, 1);
    EXPECT_TRUE(o.status.ok()) << o.status.ToString();
  }
  Service service;
  ASSERT_TRUE(registry_.GetService("svc", &service).ok());
  EXPECT_EQ(service.instance_count(), outcomes.size());

  // A repeat is a keepalive: answered on the calling thread, nothing rewritten.
  Outcome again;
  registry_.RegisterAsync(testing::MakeInstance("svc", "i0"), {}, Record(&again));
  EXPECT_EQ(again.calls, 1);
  EXPECT_TRUE(again.status.ok()) << again.status.ToString();
  EXPECT_EQ(again.thread, std::this_thread::get_id());
  Service after;
  ASSERT_TRUE(registry_.GetService("svc", &after).ok());
  EXPECT_EQ(after.version, service.version);
}

TEST_P(RegistryAsyncTest, ABadInstanceIsReportedOnceAndStoresNothing) {
  Outcome bad_name, bad_text;
  registry_.RegisterAsync(testing::MakeInstance("bad name", "a"), {}, Record(&bad_name));
  Instance in = testing::MakeInstance("svc", "a");
  in.hostname = std::string("\xff\xfe", 2);  // not UTF-8
  registry_.RegisterAsync(in, {}, Record(&bad_text));
  EXPECT_EQ(bad_name.calls, 1);
  EXPECT_EQ(bad_name.status.code(), KREG_INVALID_ARGUMENT) << bad_name.status.ToString();
  EXPECT_EQ(bad_text.calls, 1);
  EXPECT_EQ(bad_text.status.code(), KREG_INVALID_ARGUMENT) << bad_text.status.ToString();
  Service service;
  EXPECT_EQ(registry_.GetService("svc", &service).code(), KREG_NOT_FOUND);
}

INSTANTIATE_TEST_SUITE_P(Abi, RegistryAsyncTest, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& p) {
                           return p.param ? std::string("Abi11Fallback") : std::string("Abi12Glue");
                         });

}  // namespace
}  // namespace host
}  // namespace kreg
