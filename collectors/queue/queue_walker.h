// QueueWalker: lists Postfix's queue directories and defer-log directories,
// skipping the listings that cannot have changed since the last scan.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "collectors/queue/queue_scanner.h"
#include "lib/base/deadline.h"

namespace mailflow::queue_collector {

/// True for a Postfix queue id as a file name: 1-64 of [0-9A-Za-z_].
bool ValidQueueId(const char* name, size_t len);

/// st_mtim/st_ctim in nanoseconds.
inline int64_t Nanos(const struct timespec& ts) {
  return static_cast<int64_t>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

/// A scan's time budget: TimeUp() reads the clock every 32 calls and stays
/// true once the stop time has passed. Not thread-safe.
class ScanBudget {
 public:
  void Reset(Deadline::Clock::time_point stop_at) {
    stop_at_ = stop_at;
    ops_ = 0;
    stopped_ = false;
  }
  bool TimeUp() {
    if (stopped_) return true;
    if ((++ops_ & 31) == 0 && Deadline::Clock::now() >= stop_at_) {
      stopped_ = true;
    }
    return stopped_;
  }
  bool stopped() const { return stopped_; }

 private:
  Deadline::Clock::time_point stop_at_;
  uint64_t ops_ = 0;
  bool stopped_ = false;
};

/// Walks the hashed directories of one spool (depth at most kMaxHashDepth
/// one-character subdirectories) and remembers, per directory, what its
/// last complete listing found. When a directory's inode and mtime are
/// unchanged (and the mtime was old enough to trust), no entry was added,
/// removed or renamed in it: its listing is skipped, its files not visited,
/// and Unchanged(dir) is true for this scan, so that the caller's cached
/// entries of it stand. Directories are numbered (`dir` ids) for as long as
/// the walker lives. Not thread-safe (owned by one QueueScanner).
class QueueWalker {
 public:
  static constexpr int kMaxHashDepth = 4;

  /// Called per regular file with a valid queue id in directory `dir` (open
  /// as `dirfd`). Returns true when the file is accounted for in a way that
  /// lets an unchanged listing be skipped next time.
  using FileFn = std::function<bool(int dirfd, const char* name, size_t len,
                                    uint64_t d_ino, uint32_t dir)>;

  /// Starts scan number `gen` (never 0): listings whose mtime is at or after
  /// `racy_cutoff_ns` are not trusted next time. REQUIRES: budget outlives
  /// the scan.
  void BeginScan(uint32_t gen, int64_t racy_cutoff_ns, ScanBudget* budget);

  /// Walks queue `q` from `dirfd` (closed here), named `rel` below the spool
  /// ("deferred", "deferred/A"). Counts into `*qs` what is no queue file
  /// (corrupt_files) and subdirectories it cannot open (unreadable_files;
  /// `*permission_denied` on EACCES). Only deferred, hold and corrupt are
  /// skipped when unchanged: files in the others change in place.
  void WalkQueue(int dirfd, QueueName q, int depth, const std::string& rel,
                 QueueStats* qs, bool* permission_denied, const FileFn& fn);

  /// Walks the defer logs from `dirfd` (closed here). `read_untracked`:
  /// every listing is read (logs of messages not cached are wanted).
  void WalkDeferLogs(int dirfd, int depth, bool read_untracked,
                     const std::string& rel, const FileFn& fn);

  /// Whether directory `dir` was skipped as unchanged in this scan.
  bool Unchanged(uint32_t dir) const {
    return dirs_[dir].unchanged_gen == gen_;
  }
  /// The path of `dir` below the spool. REQUIRES: a valid id.
  const std::string& rel(uint32_t dir) const { return dirs_[dir].rel; }
  /// Directories skipped in this scan.
  uint64_t dirs_skipped() const { return dirs_skipped_; }

 private:
  struct Listing {
    uint64_t ino = 0;
    int64_t mtime_ns = 0;
    bool valid = false;          // listing complete, clean, mtime old enough
    uint32_t unchanged_gen = 0;  // == gen_: skipped (unchanged) in this scan
    uint32_t junk = 0;           // corrupt non-queue-file entries it holds
    std::vector<std::string> subdirs;
    std::string rel;  // path below the spool: "defer/A"
  };

  uint32_t DirIndex(const std::string& rel);
  // Whether `st` matches a trusted listing of `dir`; marks it unchanged.
  bool DirUnchanged(uint32_t dir, const struct stat& st);
  void RememberDir(uint32_t dir, const struct stat& st, bool clean,
                   uint32_t junk, std::vector<std::string> subdirs);

  // An unchanged directory `dir` (open as `dirfd`, closed here): `walk`
  // each subdirectory its last listing found (open as `sub`, named `sd`).
  void WalkRemembered(
      int dirfd, uint32_t dir,
      const std::function<void(int sub, const std::string& sd)>& walk);

  std::vector<Listing> dirs_;
  std::unordered_map<std::string, uint32_t> dir_index_;
  uint32_t gen_ = 0;
  int64_t racy_cutoff_ns_ = 0;
  uint64_t dirs_skipped_ = 0;
  ScanBudget* budget_ = nullptr;
};

}  // namespace mailflow::queue_collector
