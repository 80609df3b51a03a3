// SocketOwners: which process holds a socket inode, from /proc/PID/fd.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>

#include "lib/base/deadline.h"

namespace mailflow {

struct SocketOwner {
  int pid = 0;
  std::string comm;  // /proc/PID/comm, e.g. "master" for Postfix
};

/// Finds the owners of `inodes` by reading the /proc/PID/fd links under
/// `proc_root`. Stops when all are found or the deadline passes. Processes
/// whose fd directory cannot be read (permission) are counted in
/// `*unreadable`. Thread-safe (no shared state).
std::map<uint64_t, SocketOwner> FindSocketOwners(
    const std::string& proc_root, const std::set<uint64_t>& inodes,
    Deadline deadline, int* unreadable);

}  // namespace mailflow
