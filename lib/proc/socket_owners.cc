#include "lib/proc/socket_owners.h"

#include <dirent.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>

namespace mailflow {

namespace {

struct DirCloser {
  void operator()(DIR* d) const { closedir(d); }
};
using DirPtr = std::unique_ptr<DIR, DirCloser>;

bool IsPid(const char* name) {
  if (!*name) return false;
  for (const char* p = name; *p; ++p) {
    if (*p < '0' || *p > '9') return false;
  }
  return true;
}

// "socket:[12345]" -> 12345
bool SocketInode(const char* link, uint64_t* inode) {
  static constexpr char kPrefix[] = "socket:[";
  if (std::strncmp(link, kPrefix, sizeof(kPrefix) - 1) != 0) return false;
  uint64_t v = 0;
  const char* p = link + sizeof(kPrefix) - 1;
  for (; *p >= '0' && *p <= '9'; ++p)
    v = v * 10 + static_cast<uint64_t>(*p - '0');
  if (*p != ']') return false;
  *inode = v;
  return true;
}

std::string ReadComm(const std::string& dir) {
  std::ifstream in(dir + "/comm");
  std::string comm;
  std::getline(in, comm);
  return comm.empty() ? "unknown" : comm;
}

}  // namespace

std::map<uint64_t, SocketOwner> FindSocketOwners(
    const std::string& proc_root, const std::set<uint64_t>& inodes,
    Deadline deadline, int* unreadable) {
  std::map<uint64_t, SocketOwner> found;
  if (inodes.empty()) return found;
  DirPtr proc(opendir(proc_root.c_str()));
  if (!proc) return found;
  char link[64];
  while (dirent* pe = readdir(proc.get())) {
    if (!IsPid(pe->d_name)) continue;
    if (found.size() == inodes.size() || deadline.Expired()) break;
    const std::string pid_dir = proc_root + "/" + pe->d_name;
    const std::string fd_dir = pid_dir + "/fd";
    DirPtr fds(opendir(fd_dir.c_str()));
    if (!fds) {
      if (errno == EACCES || errno == EPERM) ++*unreadable;
      continue;  // the process may also just have exited
    }
    while (dirent* fe = readdir(fds.get())) {
      if (fe->d_name[0] == '.') continue;
      ssize_t n =
          readlinkat(dirfd(fds.get()), fe->d_name, link, sizeof(link) - 1);
      if (n <= 0) continue;
      link[n] = '\0';
      uint64_t inode;
      if (!SocketInode(link, &inode) || !inodes.count(inode) ||
          found.count(inode)) {
        continue;
      }
      found[inode] = SocketOwner{std::atoi(pe->d_name), ReadComm(pid_dir)};
    }
  }
  return found;
}

}  // namespace mailflow
