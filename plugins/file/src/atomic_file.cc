#include "atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "path_util.h"

namespace kreg {
namespace file {

namespace {

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

}  // namespace

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
  Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno != ENOENT) return IoError("cannot open", path, errno);
    *identity = FileIdentity();
    return Status::OK();
  }
  struct stat st;
  if (fstat(fd.get(), &st) != 0) return IoError("cannot stat", path, errno);
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

Status ReplaceFile(const std::string& path, const std::string& contents, FileIdentity* identity) {
  const std::string tmp = path + ".tmp";
  Fd fd(open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666));
  if (fd.get() < 0) return IoError("cannot create", tmp, errno);
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
