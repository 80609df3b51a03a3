#include "lib/base/file_util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace mailflow {

namespace {

bool Fail(const std::string& path, const std::string& why, int fd,
          std::string* err) {
  if (fd >= 0) close(fd);
  *err = path + ": cannot read: " + why;
  return false;
}

}  // namespace

bool ReadWholeFile(const std::string& path, std::string* out, std::string* err,
                   size_t max_bytes) {
  const int fd =
      open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) return Fail(path, std::strerror(errno), -1, err);
  struct stat st;
  if (fstat(fd, &st) != 0) return Fail(path, std::strerror(errno), fd, err);
  if (!S_ISREG(st.st_mode)) return Fail(path, "not a regular file", fd, err);
  out->clear();
  char buf[65536];
  for (;;) {
    const ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Fail(path, std::strerror(errno), fd, err);
    }
    if (n == 0) break;
    if (out->size() + static_cast<size_t>(n) > max_bytes) {
      return Fail(path, "larger than " + std::to_string(max_bytes) + " bytes",
                  fd, err);
    }
    out->append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return true;
}

bool FileIdentity::Of(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return false;
  device = st.st_dev;
  inode = st.st_ino;
  size = st.st_size;
  mtime_ns = int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec;
  ctime_ns = int64_t{st.st_ctim.tv_sec} * 1000000000 + st.st_ctim.tv_nsec;
  return true;
}

}  // namespace mailflow
