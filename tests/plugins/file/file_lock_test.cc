// The file lock's check that the lock file it holds is still the one at
// its path: a writer commits nothing once someone removed or replaced it.
#include "file_lock.h"

#include <gtest/gtest.h>
#include <stdio.h>
#include <unistd.h>

#include <chrono>

#include "support/temp_dir.h"

namespace kreg {
namespace file {
namespace {

using testing::TempDir;

std::chrono::steady_clock::time_point Soon() { return std::chrono::steady_clock::now() + std::chrono::seconds(5); }

TEST(FileLockCheck, HoldsUntilTheLockFileIsRemoved) {
  TempDir dir;
  const std::string path = dir.Join("registry.json.lock");
  FileLock lock;
  ASSERT_TRUE(lock.Acquire(path, Soon()).ok());
  EXPECT_TRUE(lock.Check().ok());
  ASSERT_EQ(unlink(path.c_str()), 0);
  Status s = lock.Check();
  EXPECT_EQ(s.code(), KREG_UNAVAILABLE) << s.ToString();
  EXPECT_NE(s.message().find(path + " was removed or replaced"), std::string::npos) << s.ToString();
  EXPECT_NE(s.message().find("nothing was written"), std::string::npos) << s.ToString();

  // The next writer locks a new file: it excludes the next ones, not this.
  FileLock next;
  ASSERT_TRUE(next.Acquire(path, Soon()).ok());
  EXPECT_TRUE(next.Check().ok());
  EXPECT_FALSE(lock.Check().ok());
}

TEST(FileLockCheck, FailsOnceAnotherFileIsRenamedOverTheLockFile) {
  TempDir dir;
  const std::string path = dir.Join("registry.json.lock");
  FileLock lock;
  ASSERT_TRUE(lock.Acquire(path, Soon()).ok());
  const std::string other = dir.WriteFile("other", "");
  ASSERT_EQ(rename(other.c_str(), path.c_str()), 0);
  EXPECT_EQ(lock.Check().code(), KREG_UNAVAILABLE);
}

}  // namespace
}  // namespace file
}  // namespace kreg
