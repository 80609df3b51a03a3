// SocketOwners: which process holds a socket inode, from /proc/PID/fd,
// remembered across scrapes.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "lib/base/deadline.h"

namespace mailflow {

struct SocketOwner {
  int pid = 0;
  std::string comm;  // /proc/PID/comm, e.g. "master" for Postfix
};

/// Remembers the owner of each socket inode it was asked about, so that a
/// scrape costs one small read per known socket instead of a walk of every
/// process's fd table. Not thread-safe: one instance per collector (a
/// collector's Collect() never runs concurrently).
class SocketOwnerCache {
 public:
  struct Options {
    /// fd links one Find() reads at most while looking for new inodes; a
    /// walk cut short resumes where it stopped on the next Find().
    size_t max_links_per_find = 20000;
    /// How long inodes that a complete walk could not attribute (a process
    /// in another PID namespace, an fd table we may not read) are reported
    /// "unknown" before they are looked for again.
    std::chrono::seconds retry_unknown{300};
  };

  explicit SocketOwnerCache(std::string proc_root)
      : SocketOwnerCache(std::move(proc_root), Options()) {}
  SocketOwnerCache(std::string proc_root, Options options)
      : proc_(std::move(proc_root)), options_(options) {}

  struct Result {
    std::map<uint64_t, SocketOwner> owners;  // the inodes found
    /// Processes whose fd table could not be read (permission) in the last
    /// walk that ran.
    int unreadable = 0;
    /// fd links read by this call: 0 when every inode was known.
    size_t links_read = 0;
  };

  /// The owners of `inodes`. A known owner is checked with one read of
  /// PROC/PID/stat (same start time: same process; its comm is refreshed);
  /// an inode never seen, or whose owner exited, is looked for in the fd
  /// tables of `hint_pids` (e.g. Postfix's master), then of the known
  /// owners, then of every process in PID order, until all are found,
  /// `deadline` passes or max_links_per_find links were read. Inodes not in
  /// `inodes` are forgotten.
  Result Find(const std::set<uint64_t>& inodes,
              const std::vector<int>& hint_pids, Deadline deadline);

 private:
  struct Known {
    SocketOwner owner;
    uint64_t start_time = 0;
  };
  struct Walk;

  // Whether PID is still the process that was seen (start time); refreshes
  // its comm.
  bool StillThere(Known* k) const;
  // Reads one process's fd links; moves the inodes of `missing` it holds
  // into known_.
  void ScanPid(int pid, std::set<uint64_t>* missing, Walk* walk);
  // Walks every process from the cursor on; true when it went all the way.
  bool WalkAll(std::set<uint64_t>* missing, Deadline deadline, Walk* walk);

  const std::string proc_;
  const Options options_;
  std::map<uint64_t, Known> known_;
  std::map<uint64_t, Deadline::Clock::time_point> unknown_;  // -> retry at
  int resume_after_pid_ = 0;  // where a walk cut short goes on
  int last_unreadable_ = 0;
};

}  // namespace mailflow
