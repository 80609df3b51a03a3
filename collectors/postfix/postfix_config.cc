#include "collectors/postfix/postfix_config.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace mailflow {

bool ReadWholeFile(const std::string& path, std::string* out,
                   std::string* err, size_t max_bytes) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *err = path + ": cannot read: " + std::strerror(errno);
    return false;
  }
  out->clear();
  char buf[65536];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      *err = path + ": cannot read: " + std::strerror(errno);
      close(fd);
      return false;
    }
    if (n == 0) break;
    if (out->size() + static_cast<size_t>(n) > max_bytes) {
      *err = path + ": cannot read: larger than " +
             std::to_string(max_bytes) + " bytes";
      close(fd);
      return false;
    }
    out->append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return true;
}

bool LoadPostfixConfig(const std::string& config_directory,
                       PostfixConfig* out, std::string* err) {
  const std::string main_path = config_directory + "/main.cf";
  const std::string master_path = config_directory + "/master.cf";
  std::string main_text, master_text;
  if (!ReadWholeFile(main_path, &main_text, err) ||
      !ReadWholeFile(master_path, &master_text, err)) {
    return false;
  }
  out->config_directory = config_directory;
  out->main = postfix::MainCf::Parse(main_text, main_path);
  out->master = postfix::MasterCf::Parse(master_text, master_path);
  return true;
}

}  // namespace mailflow
