// Config options of the file backend.
#include <gtest/gtest.h>

#include <filesystem>

#include "file_test_util.h"

namespace kreg {
namespace file_test {
namespace {

TEST(FileOptions, PathIsRequired) {
  Registry r;
  Status s = OpenWithOptions({}, &r);
  EXPECT_EQ(s.code(), KREG_INVALID_ARGUMENT);
  EXPECT_NE(s.message().find("registry.options.path"), std::string::npos) << s.message();
}

TEST(FileOptions, UnknownOptionIsNamed) {
  TempDir dir;
  Registry r;
  Status s = OpenFileRegistry(dir.Join("reg.json"), &r, nullptr, {{"pth", "x"}});
  EXPECT_EQ(s.code(), KREG_INVALID_ARGUMENT);
  EXPECT_NE(s.message().find("pth"), std::string::npos) << s.message();
}

TEST(FileOptions, MissingDirectoryIsAnError) {
  TempDir dir;
  Registry r;
  Status s = OpenFileRegistry(dir.Join("no-such-dir/reg.json"), &r);
  EXPECT_EQ(s.code(), KREG_INVALID_ARGUMENT);
  EXPECT_NE(s.message().find("no-such-dir"), std::string::npos) << s.message();
}

TEST(FileOptions, RelativePathIsFromTheCurrentDirectory) {
  TempDir dir;
  std::string cwd = std::filesystem::current_path();
  std::filesystem::current_path(dir.path());
  Registry r;
  Status s = OpenFileRegistry("reg.json", &r);
  std::filesystem::current_path(cwd);
  ASSERT_TRUE(s.ok()) << s.ToString();
  // A later chdir does not move the registry.
  ASSERT_TRUE(r.Register(MakeInstance("svc", "a")).ok());
  EXPECT_TRUE(std::filesystem::exists(dir.Join("reg.json")));
  EXPECT_EQ(r.Type(), "file");
}

}  // namespace
}  // namespace file_test
}  // namespace kreg
