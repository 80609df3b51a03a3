#include "collectors/queue/queue_walker.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace mailflow::queue_collector {
namespace {

int OpenSubdir(int dirfd, const char* name) {
  return openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

// The next entry of `d` other than "." and "..", its name's length in
// `*len`; nullptr at the end (or on a read error).
struct dirent* NextEntry(DIR* d, size_t* len) {
  for (;;) {
    struct dirent* de = readdir(d);
    if (de == nullptr) return nullptr;
    const char* name = de->d_name;
    *len = std::strlen(name);
    if (name[0] != '.' || (*len != 1 && (*len != 2 || name[1] != '.'))) {
      return de;
    }
  }
}

}  // namespace

bool ValidQueueId(const char* name, size_t len) {
  if (len == 0 || len > 64) return false;
  for (size_t i = 0; i < len; ++i) {
    char c = name[i];
    bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
              (c >= 'A' && c <= 'Z') || c == '_';
    if (!ok) return false;
  }
  return true;
}

void QueueWalker::BeginScan(uint32_t gen, int64_t racy_cutoff_ns,
                            ScanBudget* budget) {
  gen_ = gen;
  racy_cutoff_ns_ = racy_cutoff_ns;
  budget_ = budget;
  dirs_skipped_ = 0;
}

uint32_t QueueWalker::DirIndex(const std::string& rel) {
  auto it = dir_index_.find(rel);
  if (it != dir_index_.end()) return it->second;
  uint32_t id = static_cast<uint32_t>(dirs_.size());
  dirs_.emplace_back();
  dirs_.back().rel = rel;
  dir_index_.emplace(rel, id);
  return id;
}

bool QueueWalker::DirUnchanged(uint32_t dir, const struct stat& st) {
  Listing& ds = dirs_[dir];
  if (ds.valid && ds.ino == static_cast<uint64_t>(st.st_ino) &&
      ds.mtime_ns == Nanos(st.st_mtim)) {
    ds.unchanged_gen = gen_;
    ++dirs_skipped_;
    return true;
  }
  return false;
}

void QueueWalker::RememberDir(uint32_t dir, const struct stat& st, bool clean,
                              uint32_t junk, std::vector<std::string> subdirs) {
  Listing& ds = dirs_[dir];
  ds.ino = static_cast<uint64_t>(st.st_ino);
  ds.mtime_ns = Nanos(st.st_mtim);
  ds.valid = clean && !budget_->stopped() && ds.mtime_ns < racy_cutoff_ns_;
  ds.junk = junk;
  ds.subdirs = std::move(subdirs);
}

void QueueWalker::WalkRemembered(
    int dirfd, uint32_t dir,
    const std::function<void(int, const std::string&)>& walk) {
  // A copy: walking adds directories to dirs_.
  const std::vector<std::string> subdirs = dirs_[dir].subdirs;
  for (const std::string& sd : subdirs) {
    if (budget_->TimeUp()) break;
    int sub = OpenSubdir(dirfd, sd.c_str());
    if (sub >= 0) walk(sub, sd);
  }
  close(dirfd);
}

void QueueWalker::WalkQueue(int dirfd, QueueName q, int depth,
                            const std::string& rel, QueueStats* qs,
                            bool* permission_denied, const FileFn& fn) {
  const uint32_t dir = DirIndex(rel);
  struct stat dst;
  if (fstat(dirfd, &dst) != 0) {
    close(dirfd);
    return;
  }
  // Files in incoming, active and maildrop change in place (cleanup's
  // chmod when done, qmgr marking recipients done): always list those.
  const bool may_skip = q == QueueName::kDeferred || q == QueueName::kHold ||
                        q == QueueName::kCorrupt;
  if (may_skip && DirUnchanged(dir, dst)) {
    qs->corrupt_files += dirs_[dir].junk;
    WalkRemembered(dirfd, dir, [&](int sub, const std::string& sd) {
      WalkQueue(sub, q, depth + 1, rel + "/" + sd, qs, permission_denied, fn);
    });
    return;
  }
  DIR* d = fdopendir(dirfd);
  if (d == nullptr) {
    close(dirfd);
    return;
  }
  bool clean = may_skip;
  uint32_t junk = 0;
  std::vector<std::string> subdirs;
  size_t len = 0;
  while (!budget_->TimeUp()) {
    struct dirent* de = NextEntry(d, &len);
    if (de == nullptr) break;
    const char* name = de->d_name;
    unsigned char type = de->d_type;
    if (type == DT_UNKNOWN) {
      struct stat st;
      if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        clean = false;
        continue;
      }
      type = S_ISDIR(st.st_mode)   ? DT_DIR
             : S_ISREG(st.st_mode) ? DT_REG
             : S_ISLNK(st.st_mode) ? DT_LNK
                                   : DT_UNKNOWN;
    }
    if (type == DT_DIR) {
      if (len == 1 && depth < kMaxHashDepth) {
        subdirs.emplace_back(name, len);
        int sub = OpenSubdir(dirfd, name);
        if (sub >= 0) {
          WalkQueue(sub, q, depth + 1, rel + "/" + std::string(name, len), qs,
                    permission_denied, fn);
        } else if (errno != ENOENT) {
          ++qs->unreadable_files;
          clean = false;
          if (errno == EACCES) *permission_denied = true;
        }
      } else {
        ++qs->corrupt_files;  // not a hash directory: does not belong here
        ++junk;
      }
      continue;
    }
    if (type != DT_REG || !ValidQueueId(name, len)) {
      ++qs->corrupt_files;  // symlink, socket, fifo, stray file name
      ++junk;
      continue;
    }
    if (!fn(dirfd, name, len, de->d_ino, dir)) clean = false;
  }
  RememberDir(dir, dst, clean, junk, std::move(subdirs));
  closedir(d);
}

void QueueWalker::WalkDeferLogs(int dirfd, int depth, bool read_untracked,
                                const std::string& rel, const FileFn& fn) {
  const uint32_t dir = DirIndex(rel);
  struct stat dst;
  if (fstat(dirfd, &dst) != 0) {
    close(dirfd);
    return;
  }
  if (!read_untracked && DirUnchanged(dir, dst)) {
    WalkRemembered(dirfd, dir, [&](int sub, const std::string& sd) {
      WalkDeferLogs(sub, depth + 1, read_untracked, rel + "/" + sd, fn);
    });
    return;
  }
  DIR* d = fdopendir(dirfd);
  if (d == nullptr) {
    close(dirfd);
    return;
  }
  bool clean = !read_untracked;
  std::vector<std::string> subdirs;
  size_t len = 0;
  while (!budget_->TimeUp()) {
    struct dirent* de = NextEntry(d, &len);
    if (de == nullptr) break;
    const char* name = de->d_name;
    if (name[0] == '.') continue;  // no queue id starts with a dot
    if (de->d_type == DT_DIR || de->d_type == DT_UNKNOWN) {
      if (len == 1 && depth < kMaxHashDepth) {
        int sub = OpenSubdir(dirfd, name);
        if (sub >= 0) {
          subdirs.emplace_back(name, len);
          WalkDeferLogs(sub, depth + 1, read_untracked,
                        rel + "/" + std::string(name, len), fn);
          continue;
        }
        if (de->d_type == DT_DIR) continue;
      } else if (de->d_type == DT_DIR) {
        continue;
      }
    }
    if (!ValidQueueId(name, len)) continue;
    if (!fn(dirfd, name, len, de->d_ino, dir)) clean = false;
  }
  RememberDir(dir, dst, clean, 0, std::move(subdirs));
  closedir(d);
}

}  // namespace mailflow::queue_collector
