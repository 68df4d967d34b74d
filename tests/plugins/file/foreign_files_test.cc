// What others leave where the registry's files go: a symbolic link where a
// temporary file went, a FIFO or a device at the registry path, temporary
// files of a killed writer, a lock file removed while a writer waits for
// it. Nothing there is followed, waited for or shared.
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "file_test_util.h"
#include "support/lock_holder.h"

namespace kreg {
namespace file_test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::LockHolder;

std::vector<std::string> Names(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = opendir(dir.c_str());
  while (const dirent* e = d == nullptr ? nullptr : readdir(d)) {
    const std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  if (d != nullptr) closedir(d);
  return names;
}

// Whether a descriptor of this process is open on `path`.
bool ThisProcessHasOpen(const std::string& path) {
  const std::string fds = "/proc/self/fd";
  for (const std::string& fd : Names(fds)) {
    char target[4096];
    ssize_t n = readlink((fds + "/" + fd).c_str(), target, sizeof(target));
    if (n > 0 && std::string(target, static_cast<size_t>(n)) == path) return true;
  }
  return false;
}

TEST(FileForeignFiles, ALinkWhereTheTemporaryFileWentIsNotFollowed) {
  TempDir dir;
  const std::string path = dir.Join("registry.json");
  const std::string victim = dir.WriteFile("victim.txt", "precious\n");
  ASSERT_EQ(symlink(victim.c_str(), (path + ".tmp").c_str()), 0);
  Registry r;
  ASSERT_TRUE(OpenFileRegistry(path, &r).ok());

  ASSERT_TRUE(r.Register(MakeInstance("svc", "a")).ok());
  EXPECT_EQ(ReadBytes(victim), "precious\n") << "the write went through the link into another file";
  EXPECT_FALSE(IsSymlink(path));
  Service s;
  ASSERT_TRUE(r.GetService("svc", &s).ok());
  EXPECT_EQ(s.instance_count(), 1u);
}

TEST(FileForeignFiles, TemporaryFilesOfAKilledWriterAreRemovedByTheNextWrite) {
  TempDir dir;
  const std::string path = dir.Join("registry.json");
  dir.WriteFile("registry.json.tmp-4242-7", "half a write");
  dir.WriteFile("registry.json.tmp", "someone else's");
  dir.WriteFile("registry.json.tmpl", "someone else's");
  Registry r;
  ASSERT_TRUE(OpenFileRegistry(path, &r).ok());
  ASSERT_TRUE(r.Register(MakeInstance("svc", "a")).ok());

  std::vector<std::string> names = Names(dir.path());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"registry.json", "registry.json.lock", "registry.json.tmp",
                                              "registry.json.tmpl"}));
}

TEST(FileForeignFiles, AFifoAtTheRegistryPathIsAnErrorNotAWait) {
  TempDir dir;
  const std::string path = dir.Join("registry.json");
  Registry r;
  ASSERT_TRUE(OpenFileRegistryWithTimeout(path, milliseconds(500), &r).ok());
  ASSERT_EQ(mkfifo(path.c_str(), 0600), 0);

  std::future<Status> get = std::async(std::launch::async, [&] {
    Service s;
    return r.GetService("svc", &s);
  });
  const bool in_time = get.wait_for(seconds(10)) == std::future_status::ready;
  if (!in_time) close(open(path.c_str(), O_WRONLY | O_NONBLOCK));  // lets a blocked reader go
  ASSERT_TRUE(in_time) << "a read waited for a writer to open the FIFO";
  Status s = get.get();
  EXPECT_EQ(s.code(), KREG_CORRUPT) << s.ToString();
  EXPECT_NE(s.message().find(path + " is a FIFO, not a regular file"), std::string::npos) << s.ToString();

  std::future<Status> reg = std::async(std::launch::async, [&] { return r.Register(MakeInstance("svc", "a")); });
  const bool reg_in_time = reg.wait_for(seconds(10)) == std::future_status::ready;
  if (!reg_in_time) close(open(path.c_str(), O_WRONLY | O_NONBLOCK));
  ASSERT_TRUE(reg_in_time);
  EXPECT_EQ(reg.get().code(), KREG_CORRUPT);
  struct stat st;
  ASSERT_EQ(lstat(path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode)) << "the write replaced what it could not read";
}

TEST(FileForeignFiles, ASocketAtTheRegistryPathIsNoRegistryFile) {
  TempDir dir;
  const std::string path = dir.Join("registry.json");
  Registry r;
  ASSERT_TRUE(OpenFileRegistry(path, &r).ok());
  int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(sock, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  ASSERT_LT(path.size(), sizeof(address.sun_path));
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  ASSERT_EQ(bind(sock, reinterpret_cast<const sockaddr*>(&address), sizeof(address)), 0);
  Service s;
  Status got = r.GetService("svc", &s);
  close(sock);
  EXPECT_EQ(got.code(), KREG_CORRUPT) << got.ToString();
  EXPECT_NE(got.message().find(path + " is a socket, not a regular file"), std::string::npos) << got.ToString();
}

TEST(FileForeignFiles, APathToADeviceOrAFifoIsRefusedAtOpen) {
  TempDir dir;
  const std::string fifo = dir.Join("fifo.json");
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  const std::string link = dir.Join("zero.json");
  ASSERT_EQ(symlink("/dev/zero", link.c_str()), 0);
  for (const std::string& path : {fifo, link}) {
    Registry r;
    Status s = OpenFileRegistry(path, &r);
    EXPECT_EQ(s.code(), KREG_INVALID_ARGUMENT) << path << ": " << s.ToString();
    EXPECT_NE(s.message().find("not a regular file"), std::string::npos) << s.ToString();
  }
}

// As a user who may not write the file (root may write any): the register
// runs in a child that is that user.
TEST(FileForeignFiles, AFileReadOnlyToTheWriterIsNotReplaced) {
  TempDir dir;
  const std::string path = dir.Join("registry.json");
  {
    Registry owner;
    ASSERT_TRUE(OpenFileRegistry(path, &owner).ok());
    ASSERT_TRUE(owner.Register(MakeInstance("svc", "a")).ok());
  }
  const std::string before = ReadBytes(path);
  // Everything else is open to the writer, so only the file's mode stops it.
  ASSERT_EQ(chmod(dir.path().c_str(), 0777), 0);
  ASSERT_EQ(chmod((path + ".lock").c_str(), 0666), 0);
  ASSERT_EQ(chmod(path.c_str(), 0444), 0);

  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0)) _exit(3);
    Registry writer;
    if (!OpenFileRegistry(path, &writer).ok()) _exit(4);
    Status s = writer.Register(MakeInstance("svc", "b"));
    const bool refused = s.code() == KREG_PERMISSION_DENIED && s.message().find(path) != std::string::npos &&
                         s.message().find("read-only") != std::string::npos;
    Service read;
    if (!writer.GetService("svc", &read).ok() || read.instance_count() != 1) _exit(5);  // reads go on
    _exit(refused ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  if (WEXITSTATUS(status) == 4) GTEST_SKIP() << "user nobody cannot reach " << dir.path();
  EXPECT_EQ(WEXITSTATUS(status), 0) << "1: the register was not refused as PERMISSION_DENIED naming the file; "
                                       "5: the read failed";
  EXPECT_EQ(ReadBytes(path), before);
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0444u);
}

// The writer waits for the lock on the old lock file; meanwhile that file
// is removed and a new one is locked by another process. The writer must
// not take the old, unlinked inode's lock as its turn.
TEST(FileForeignFiles, AWriterWaitingForARemovedLockFileWaitsForItsSuccessor) {
  TempDir dir;
  const std::string path = dir.Join("registry.json");
  const std::string lock = path + ".lock";
  Registry r;
  ASSERT_TRUE(OpenFileRegistryWithTimeout(path, milliseconds(1500), &r).ok());
  auto first = std::make_unique<LockHolder>(lock, dir.path());
  ASSERT_TRUE(first->WaitUntilHeld());

  std::future<Status> reg = std::async(std::launch::async, [&] { return r.Register(MakeInstance("svc", "a")); });
  for (int i = 0; i < 500 && !ThisProcessHasOpen(lock); ++i) std::this_thread::sleep_for(milliseconds(10));
  ASSERT_TRUE(ThisProcessHasOpen(lock)) << "the register never opened the lock file";
  ASSERT_EQ(unlink(lock.c_str()), 0);
  LockHolder second(lock, dir.path());
  ASSERT_TRUE(second.WaitUntilHeld());
  first->process().Signal(SIGKILL);
  first.reset();

  Status s = reg.get();
  EXPECT_EQ(s.code(), KREG_TIMEOUT) << "the register wrote while another process held the lock: " << s.ToString();
  EXPECT_NE(s.message().find("pid " + std::to_string(second.process().pid())), std::string::npos) << s.ToString();
  EXPECT_FALSE(std::filesystem::exists(path));
}

}  // namespace
}  // namespace file_test
}  // namespace kreg
