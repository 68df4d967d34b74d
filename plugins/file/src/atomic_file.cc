#include "atomic_file.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <functional>

#include "path_util.h"

namespace kreg {
namespace file {

namespace {

constexpr char kTempInfix[] = ".tmp-";

Status IoError(const std::string& what, const std::string& path, int err) {
  return Status::Unavailable(what + " " + path + ": " + std::strerror(err));
}

FileIdentity IdentityOf(const struct stat& st) {
  FileIdentity id;
  id.exists = true;
  id.dev = st.st_dev;
  id.ino = st.st_ino;
  id.size = st.st_size;
  id.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  return id;
}

// Closes the descriptor on every path out of a function.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  // Closes now, reporting the error that a deferred close would hide.
  int Close() {
    int rc = close(fd_);
    fd_ = -1;
    return rc;
  }

 private:
  int fd_;
};

// The temporary file of one replacement of `path`, beside it: a name of
// its own (so that two writers never share one, not even when the lock
// file was removed under them), created exclusively (so that nothing put
// there beforehand, a symbolic link least of all, is opened instead).
// Returns the descriptor, or -1 with errno set.
int CreateTempFile(const std::string& path, std::string* tmp) {
  static std::atomic<uint64_t> counter{0};
  for (int attempt = 0;; ++attempt) {
    *tmp = path + kTempInfix + std::to_string(getpid()) + "-" + std::to_string(counter.fetch_add(1));
    int fd = open(tmp->c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0 || errno != EEXIST || attempt == 100) return fd;
  }
}

}  // namespace

Status NotARegularFile(const std::string& path, mode_t mode) {
  const char* kind = S_ISFIFO(mode)                   ? "a FIFO"
                     : S_ISCHR(mode) || S_ISBLK(mode) ? "a device"
                     : S_ISDIR(mode)                  ? "a directory"
                     : S_ISSOCK(mode)                 ? "a socket"
                                                      : "a special file";
  return Status::Corrupt("registry file " + path + " is " + kind +
                         ", not a regular file: nothing was read or written; move it away");
}

void RemoveTempFiles(const std::string& path) {
  const std::string dir = DirName(path);
  const std::string prefix = BaseName(path) + kTempInfix;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return;
  while (const dirent* entry = readdir(d)) {
    if (std::strncmp(entry->d_name, prefix.c_str(), prefix.size()) == 0) unlink((dir + "/" + entry->d_name).c_str());
  }
  closedir(d);
}

Status StatFile(const std::string& path, FileIdentity* identity) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    if (errno != ENOENT) return IoError("cannot stat", path, errno);
    *identity = FileIdentity();
    return Status::OK();
  }
  *identity = IdentityOf(st);
  return Status::OK();
}

Status ReadFile(const std::string& path, std::string* contents, FileIdentity* identity) {
  contents->clear();
  // Without O_NONBLOCK a FIFO put there would block the open until some
  // writer came, past every timeout.
  Fd fd(open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (fd.get() < 0) {
    const int err = errno;
    struct stat st;
    // A socket cannot be opened at all (ENXIO).
    if (err != ENOENT && stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) return NotARegularFile(path, st.st_mode);
    if (err != ENOENT) return IoError("cannot open", path, err);
    *identity = FileIdentity();
    return Status::OK();
  }
  struct stat st;
  if (fstat(fd.get(), &st) != 0) return IoError("cannot stat", path, errno);
  if (!S_ISREG(st.st_mode)) return NotARegularFile(path, st.st_mode);
  contents->resize(static_cast<size_t>(st.st_size));
  size_t done = 0;
  for (;;) {
    if (done == contents->size()) contents->resize(done + 4096 + done / 2);  // the file grew
    ssize_t n = read(fd.get(), &(*contents)[done], contents->size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return IoError("cannot read", path, errno);
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  contents->resize(done);
  *identity = IdentityOf(st);
  return Status::OK();
}

Status ReplaceFile(const std::string& path, const std::string& contents, const std::function<Status()>& may_commit,
                   FileIdentity* identity) {
  // A writable directory would let the rename replace it anyway. The
  // effective ids decide, as they do for the write itself.
  if (faccessat(AT_FDCWD, path.c_str(), W_OK, AT_EACCESS) != 0 && errno == EACCES) {
    return Status::PermissionDenied("registry file " + path +
                                    " is read-only to this process: nothing was written. Give it write "
                                    "permission (chmod u+w, or run as its owner) to change the registry");
  }
  std::string tmp;
  Fd fd(CreateTempFile(path, &tmp));
  if (fd.get() < 0) return IoError("cannot create a temporary file for", path, errno);
  // The replacement keeps the permissions an admin gave the file.
  struct stat old;
  if (stat(path.c_str(), &old) == 0) fchmod(fd.get(), old.st_mode & 07777);
  size_t done = 0;
  while (done < contents.size()) {
    ssize_t n = write(fd.get(), contents.data() + done, contents.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      unlink(tmp.c_str());
      return IoError("cannot write", tmp, err);
    }
    done += static_cast<size_t>(n);
  }
  struct stat st;
  if (fsync(fd.get()) != 0 || fstat(fd.get(), &st) != 0 || fd.Close() != 0) {
    int err = errno;
    unlink(tmp.c_str());
    return IoError("cannot sync", tmp, err);
  }
  Status commit = may_commit();
  if (!commit.ok()) {
    unlink(tmp.c_str());
    return commit;
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    unlink(tmp.c_str());
    return IoError("cannot rename " + tmp + " to", path, err);
  }
  // The rename is durable only once the directory entry is.
  const std::string dir = DirName(path);
  Fd dir_fd(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir_fd.get() < 0 || fsync(dir_fd.get()) != 0) return IoError("cannot sync directory", dir, errno);
  *identity = IdentityOf(st);
  return Status::OK();
}

}  // namespace file
}  // namespace kreg
