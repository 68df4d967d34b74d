// A writer never applies its change to a stale cached copy of the file,
// even when the file changed without changing its inode, size or mtime
// (an inode reused on a file system with coarse timestamps looks so).
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "file_test_util.h"

namespace kreg {
namespace file_test {
namespace {

TEST(FileStaleCache, WriteAfterASameSizeSameMtimeChangeKeepsTheNewContent) {
  TempDir dir;
  const std::string path = dir.Join("registry.json");
  Registry r;
  ASSERT_TRUE(OpenFileRegistry(path, &r).ok());
  ASSERT_TRUE(r.Register(MakeInstance("svc", "a")).ok());

  // Another writer renames instance "a" to "z": the same bytes but one,
  // written in place, with the old mtime put back.
  struct stat before;
  ASSERT_EQ(stat(path.c_str(), &before), 0);
  std::string bytes = ReadBytes(path);
  const std::string from = "\"a\":{\"data\"";
  size_t at = bytes.find(from);
  ASSERT_NE(at, std::string::npos) << bytes;
  bytes[at + 1] = 'z';
  WriteBytes(path, bytes);
  const timespec times[2] = {before.st_atim, before.st_mtim};
  ASSERT_EQ(utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
  struct stat after;
  ASSERT_EQ(stat(path.c_str(), &after), 0);
  ASSERT_EQ(after.st_ino, before.st_ino);
  ASSERT_EQ(after.st_size, before.st_size);

  ASSERT_TRUE(r.Register(MakeInstance("svc", "b")).ok());
  nlohmann::json doc = ReadJson(path);
  const nlohmann::json& instances = doc["services"]["svc"]["instances"];
  EXPECT_TRUE(instances.contains("z")) << doc.dump();
  EXPECT_TRUE(instances.contains("b")) << doc.dump();
  EXPECT_FALSE(instances.contains("a")) << "the stale cached copy was written back: " << doc.dump();
}

}  // namespace
}  // namespace file_test
}  // namespace kreg
