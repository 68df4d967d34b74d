#include "kreg/host/plugin_loader.h"

#include <sys/stat.h>

#include <cstdlib>

#include <gtest/gtest.h>

#include "kreg/host/open.h"
#include "support/temp_dir.h"

namespace kreg {
namespace host {
namespace {

using testing::TempDir;

TEST(PluginLoaderTest, LoadsTheFilePluginByName) {
  LoadedPlugin p;
  Status s = LoadPlugin("file", {KREG_TEST_PLUGIN_DIR}, &p);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_STREQ(p.table->name, "file");
  EXPECT_EQ(p.table->abi_major, uint32_t{KREG_ABI_VERSION_MAJOR});
  EXPECT_NE(p.library, nullptr);
}

TEST(PluginLoaderTest, MissingPluginListsWhereItLooked) {
  TempDir a, b;
  LoadedPlugin p;
  Status s = LoadPlugin("nosuch", {a.path(), b.path()}, &p);
  EXPECT_EQ(s.code(), KREG_NOT_FOUND);
  EXPECT_NE(s.message().find(a.Join("libkreg_nosuch.so")), std::string::npos) << s.message();
  EXPECT_NE(s.message().find(b.Join("libkreg_nosuch.so")), std::string::npos) << s.message();
}

TEST(PluginLoaderTest, SearchDirsStartWithPluginDirThenEnvironment) {
  setenv("KREG_PLUGIN_PATH", "/opt/a:/opt/b", 1);
  std::vector<std::string> dirs = PluginSearchDirs("my/plugins");
  unsetenv("KREG_PLUGIN_PATH");
  ASSERT_GE(dirs.size(), 3u);
  EXPECT_EQ(dirs[0], "my/plugins");
  EXPECT_EQ(dirs[1], "/opt/a");
  EXPECT_EQ(dirs[2], "/opt/b");
}

TEST(PluginLoaderTest, FileThatIsNotASharedObject) {
  TempDir dir;
  std::string path = dir.WriteFile("libkreg_text.so", "this is not ELF\n");
  LoadedPlugin p;
  Status s = LoadPlugin(path, {}, &p);
  EXPECT_EQ(s.code(), KREG_INVALID_ARGUMENT);
  EXPECT_NE(s.message().find(path + " is not a shared object"), std::string::npos) << s.message();
}

TEST(PluginLoaderTest, LibraryWithoutTheEntrySymbol) {
  LoadedPlugin p;
  Status s = LoadPlugin("no_entry", {KREG_TEST_BROKEN_PLUGIN_DIR}, &p);
  EXPECT_EQ(s.code(), KREG_INVALID_ARGUMENT);
  EXPECT_NE(s.message().find("does not export the entry symbol `kreg_plugin_entry`"), std::string::npos)
      << s.message();
}

TEST(PluginLoaderTest, PluginOfAnotherAbiMajorIsRefused) {
  LoadedPlugin p;
  Status s = LoadPlugin("wrong_abi", {KREG_TEST_BROKEN_PLUGIN_DIR}, &p);
  EXPECT_EQ(s.code(), KREG_INCOMPATIBLE);
  EXPECT_NE(s.message().find("built for kreg ABI 2.0, this host speaks 1." + std::to_string(KREG_ABI_VERSION_MINOR)), std::string::npos) << s.message();
  EXPECT_EQ(p.table, nullptr);
}

// Opening a FIFO for reading waits for a writer: the loader must not.
TEST(PluginLoaderTest, FifoIsRefusedWithoutOpeningIt) {
  TempDir dir;
  std::string fifo = dir.Join("libkreg_fifo.so");
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  LoadedPlugin p;
  Status s = LoadPlugin(fifo, {}, &p);
  EXPECT_EQ(s.code(), KREG_INVALID_ARGUMENT);
  EXPECT_NE(s.message().find(fifo + " is a FIFO, not a regular file"), std::string::npos) << s.message();
  s = LoadPlugin("fifo", {dir.path()}, &p);
  EXPECT_NE(s.message().find(fifo + " is a FIFO, not a regular file"), std::string::npos) << s.message();

  std::vector<PluginListing> found = ListPlugins({dir.path()});
  ASSERT_EQ(found.size(), 1u);
  EXPECT_NE(found[0].status.message().find("is a FIFO, not a regular file"), std::string::npos)
      << found[0].status.message();
}

TEST(PluginLoaderTest, DirectoryIsRefused) {
  TempDir dir;
  LoadedPlugin p;
  Status s = LoadPlugin(dir.path(), {}, &p);
  EXPECT_EQ(s.code(), KREG_INVALID_ARGUMENT);
  EXPECT_NE(s.message().find(dir.path() + " is a directory, not a regular file"), std::string::npos)
      << s.message();
}

TEST(PluginLoaderTest, TableWithoutFunctionsIsRefusedNamingTheFirst) {
  LoadedPlugin p;
  Status s = LoadPlugin("null_members", {KREG_TEST_BROKEN_PLUGIN_DIR}, &p);
  EXPECT_EQ(s.code(), KREG_INVALID_ARGUMENT);
  EXPECT_NE(s.message().find("libkreg_null_members.so has no `create` in its function table (ABI 1.0 requires it"),
            std::string::npos)
      << s.message();
  EXPECT_EQ(p.table, nullptr);
}

// The host calls a member its struct_size holds, so each must be set.
TEST(PluginLoaderTest, TableMissingAMemberOfALaterMinorIsRefused) {
  LoadedPlugin p;
  Status s = LoadPlugin("no_changes_member", {KREG_TEST_BROKEN_PLUGIN_DIR}, &p);
  EXPECT_EQ(s.code(), KREG_INVALID_ARGUMENT);
  EXPECT_NE(s.message().find("has no `get_service_changes` in its function table (ABI 1.3 requires it"),
            std::string::npos)
      << s.message();
  EXPECT_EQ(p.table, nullptr);
}

TEST(PluginLoaderTest, EntrySymbolThatIsDataIsNotCalled) {
  LoadedPlugin p;
  Status s = LoadPlugin("data_entry", {KREG_TEST_BROKEN_PLUGIN_DIR}, &p);
  EXPECT_EQ(s.code(), KREG_INVALID_ARGUMENT);
  EXPECT_NE(s.message().find("exports `kreg_plugin_entry` as data, not a function"), std::string::npos)
      << s.message();
  EXPECT_EQ(p.table, nullptr);
}

TEST(PluginLoaderTest, ListPluginsReportsBrokenOnesWithTheirError) {
  std::vector<PluginListing> found = ListPlugins({KREG_TEST_BROKEN_PLUGIN_DIR, KREG_TEST_PLUGIN_DIR});
  bool saw_file = false, saw_wrong_abi = false;
  for (const auto& p : found) {
    if (p.status.ok() && std::string(p.table->name) == "file") saw_file = true;
    if (p.path.find("libkreg_wrong_abi.so") != std::string::npos) {
      saw_wrong_abi = true;
      EXPECT_EQ(p.status.code(), KREG_INCOMPATIBLE);
    }
  }
  EXPECT_TRUE(saw_file);
  EXPECT_TRUE(saw_wrong_abi);
}

TEST(OpenRegistryTest, UnsetPasswordVariableIsAnError) {
  Config c;
  c.source = "secret.yaml";
  c.plugin = "file";
  c.plugin_dir = KREG_TEST_PLUGIN_DIR;
  c.password_env = "KREG_TEST_SURELY_UNSET_PASSWORD";
  Registry r;
  Status s = OpenRegistry(c, &r);
  EXPECT_EQ(s.code(), KREG_INVALID_ARGUMENT);
  EXPECT_NE(s.message().find("$KREG_TEST_SURELY_UNSET_PASSWORD, which is not set"), std::string::npos)
      << s.message();
}

TEST(OpenRegistryTest, OpensTheFileBackend) {
  TempDir dir;
  Config c;
  c.source = "test";
  c.plugin = "file";
  c.plugin_dir = KREG_TEST_PLUGIN_DIR;
  c.options["path"] = dir.Join("registry.json");
  Registry r;
  Status s = OpenRegistry(c, &r);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(r.Type(), "file");
}

}  // namespace
}  // namespace host
}  // namespace kreg
