#include "lib/proc/socket_owners.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string_view>

namespace mailflow {

namespace {

struct DirCloser {
  void operator()(DIR* d) const { closedir(d); }
};
using DirPtr = std::unique_ptr<DIR, DirCloser>;

int PidOf(const char* name) {
  if (!*name) return 0;
  int pid = 0;
  for (const char* p = name; *p; ++p) {
    if (*p < '0' || *p > '9' || pid > 100000000) return 0;
    pid = pid * 10 + (*p - '0');
  }
  return pid;
}

// "socket:[12345]" -> 12345
bool SocketInode(const char* link, uint64_t* inode) {
  static constexpr char kPrefix[] = "socket:[";
  if (std::strncmp(link, kPrefix, sizeof(kPrefix) - 1) != 0) return false;
  uint64_t v = 0;
  const char* p = link + sizeof(kPrefix) - 1;
  for (; *p >= '0' && *p <= '9'; ++p) {
    v = v * 10 + static_cast<uint64_t>(*p - '0');
  }
  if (*p != ']') return false;
  *inode = v;
  return true;
}

// comm and start time (field 22) from PROC/PID/stat, in one read.
bool ReadStat(const std::string& proc, int pid, std::string* comm,
              uint64_t* start_time) {
  const std::string path = proc + "/" + std::to_string(pid) + "/stat";
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return false;
  char buf[1024];
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  if (n <= 0) return false;
  std::string_view s(buf, static_cast<size_t>(n));
  const size_t open_paren = s.find('('), close_paren = s.rfind(')');
  if (open_paren == std::string_view::npos || close_paren <= open_paren) {
    return false;
  }
  *comm = std::string(s.substr(open_paren + 1, close_paren - open_paren - 1));
  // Fields from 3 (state) on, space separated; the start time is the 20th.
  size_t at = close_paren + 1;
  for (int field = 3; field < 22; ++field) {
    at = s.find(' ', at + 1);
    if (at == std::string_view::npos) return false;
  }
  *start_time = std::strtoull(buf + at + 1, nullptr, 10);
  return true;
}

// The comm of a process without a readable stat (fixture trees).
std::string ReadComm(const std::string& dir) {
  char buf[64];
  int fd = open((dir + "/comm").c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return "unknown";
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  if (n <= 0) return "unknown";
  std::string comm(buf, static_cast<size_t>(n));
  if (size_t nl = comm.find('\n'); nl != std::string::npos) comm.resize(nl);
  return comm.empty() ? "unknown" : comm;
}

}  // namespace

struct SocketOwnerCache::Walk {
  size_t links = 0;
  int unreadable = 0;
  std::set<int> scanned;
};

bool SocketOwnerCache::StillThere(Known* k) const {
  std::string comm;
  uint64_t start = 0;
  if (!ReadStat(proc_, k->owner.pid, &comm, &start) || start != k->start_time) {
    return false;
  }
  k->owner.comm = comm;
  return true;
}

void SocketOwnerCache::ScanPid(int pid, std::set<uint64_t>* missing,
                               Walk* walk) {
  if (!walk->scanned.insert(pid).second) return;
  const std::string dir = proc_ + "/" + std::to_string(pid);
  DirPtr fds(opendir((dir + "/fd").c_str()));
  if (!fds) {
    if (errno == EACCES || errno == EPERM) ++walk->unreadable;
    return;  // the process may also just have exited
  }
  char link[64];
  while (dirent* fe = readdir(fds.get())) {
    if (fe->d_name[0] == '.') continue;
    ++walk->links;
    ssize_t n =
        readlinkat(dirfd(fds.get()), fe->d_name, link, sizeof(link) - 1);
    if (n <= 0) continue;
    link[n] = '\0';
    uint64_t inode;
    if (!SocketInode(link, &inode) || !missing->erase(inode)) continue;
    Known k;
    k.owner.pid = pid;
    if (!ReadStat(proc_, pid, &k.owner.comm, &k.start_time)) {
      k.owner.comm = ReadComm(dir);
    }
    known_[inode] = std::move(k);
    if (missing->empty()) return;
  }
}

bool SocketOwnerCache::WalkAll(std::set<uint64_t>* missing, Deadline deadline,
                               Walk* walk) {
  std::vector<int> pids;
  {
    DirPtr proc(opendir(proc_.c_str()));
    if (!proc) return true;
    while (dirent* pe = readdir(proc.get())) {
      if (int pid = PidOf(pe->d_name)) pids.push_back(pid);
    }
  }
  // PID order from the cursor on, then the PIDs before it.
  std::sort(pids.begin(), pids.end());
  const auto first =
      std::upper_bound(pids.begin(), pids.end(), resume_after_pid_);
  std::rotate(pids.begin(), first, pids.end());
  resume_after_pid_ = 0;
  for (int pid : pids) {
    if (missing->empty()) return true;
    if (walk->links >= options_.max_links_per_find || deadline.Expired()) {
      resume_after_pid_ = pid - 1;
      return false;
    }
    ScanPid(pid, missing, walk);
  }
  return true;
}

SocketOwnerCache::Result SocketOwnerCache::Find(
    const std::set<uint64_t>& inodes, const std::vector<int>& hint_pids,
    Deadline deadline) {
  const auto now = Deadline::Clock::now();
  std::erase_if(known_,
                [&](const auto& kv) { return !inodes.count(kv.first); });
  std::erase_if(unknown_, [&](const auto& kv) {
    return !inodes.count(kv.first) || kv.second <= now;
  });
  std::set<uint64_t> missing;
  std::vector<int> known_pids;
  for (uint64_t inode : inodes) {
    auto it = known_.find(inode);
    if (it != known_.end() && StillThere(&it->second)) {
      known_pids.push_back(it->second.owner.pid);
      continue;
    }
    if (it != known_.end()) known_.erase(it);
    if (!unknown_.count(inode)) missing.insert(inode);
  }
  Result r;
  if (!missing.empty()) {
    Walk walk;
    for (int pid : hint_pids) {
      if (pid > 0 && !missing.empty()) ScanPid(pid, &missing, &walk);
    }
    for (int pid : known_pids) {
      if (!missing.empty()) ScanPid(pid, &missing, &walk);
    }
    const bool complete = missing.empty() || WalkAll(&missing, deadline, &walk);
    if (complete) {
      for (uint64_t inode : missing) {
        unknown_[inode] = now + options_.retry_unknown;
      }
    }
    last_unreadable_ = walk.unreadable;
    r.links_read = walk.links;
  }
  for (uint64_t inode : inodes) {
    auto it = known_.find(inode);
    if (it != known_.end()) r.owners[inode] = it->second.owner;
  }
  r.unreadable = last_unreadable_;
  return r;
}

}  // namespace mailflow
