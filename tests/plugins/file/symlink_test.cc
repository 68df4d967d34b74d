// A registry path that is a symbolic link names the registry its target
// holds: a process using the link and one using the target share it.
#include <gtest/gtest.h>
#include <unistd.h>

#include "file_test_util.h"

namespace kreg {
namespace file_test {
namespace {

TEST(FileSymlink, LinkAndTargetShareOneRegistry) {
  TempDir dir;
  const std::string real = dir.Join("real.json");
  const std::string link = dir.Join("link.json");
  // Relative, and dangling until the first write creates the target.
  ASSERT_EQ(symlink("real.json", link.c_str()), 0);
  Registry via_link;
  Registry via_real;
  ASSERT_TRUE(OpenFileRegistry(link, &via_link).ok());
  ASSERT_TRUE(OpenFileRegistry(real, &via_real).ok());
  EventRecorder recorder;
  std::unique_ptr<Watch> watch;
  ASSERT_TRUE(via_link.StartWatch(recorder.Callback(), &watch).ok());
  ASSERT_TRUE(recorder.WaitForCount(1));  // SYNCED

  ASSERT_TRUE(via_link.Register(MakeInstance("svc", "from-link")).ok());
  ASSERT_TRUE(via_real.Register(MakeInstance("svc", "from-real")).ok());
  Service s;
  ASSERT_TRUE(via_link.GetService("svc", &s).ok());
  EXPECT_EQ(s.instance_count(), 2u);
  ASSERT_TRUE(via_real.GetService("svc", &s).ok());
  EXPECT_EQ(s.instance_count(), 2u);
  EXPECT_TRUE(recorder.WaitFor([](const std::vector<WatchEvent>& seen) {
    return FindEvent(seen, EventType::kCreate, "svc", "from-real") >= 0;
  })) << "a watch through the link sees writes through the target";

  EXPECT_TRUE(IsSymlink(link)) << "a write replaced the link with a file of its own";
  EXPECT_FALSE(IsSymlink(real));
}

TEST(FileSymlink, LinkIntoAMissingDirectoryIsRefused) {
  TempDir dir;
  const std::string link = dir.Join("link.json");
  ASSERT_EQ(symlink("no-such-dir/real.json", link.c_str()), 0);
  Registry r;
  Status s = OpenFileRegistry(link, &r);
  EXPECT_EQ(s.code(), KREG_INVALID_ARGUMENT) << s.ToString();
  EXPECT_NE(s.message().find(link), std::string::npos) << s.ToString();
  EXPECT_NE(s.message().find(dir.Join("no-such-dir")), std::string::npos) << s.ToString();
  EXPECT_TRUE(IsSymlink(link));
}

}  // namespace
}  // namespace file_test
}  // namespace kreg
