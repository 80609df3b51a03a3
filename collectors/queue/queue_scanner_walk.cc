// QueueScanner's directory walk: the queue directories (ScanDir) and the
// defer log directories (ScanDeferDir), skipping unchanged listings.
#include "collectors/queue/queue_scanner_internal.h"

namespace mailflow {

void QueueScanner::Impl::ScanDir(int dirfd, QueueName q, int depth,
                                 const std::string& rel) {
  QueueStats& qs = out->queues[static_cast<int>(q)];
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
    qs.corrupt_files += dirs[dir].junk;
    std::vector<std::string> subdirs = dirs[dir].subdirs;
    for (const std::string& sd : subdirs) {
      if (TimeUp()) break;
      int sub = openat(dirfd, sd.c_str(),
                       O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub >= 0) ScanDir(sub, q, depth + 1, rel + "/" + sd);
    }
    close(dirfd);
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
  while (!TimeUp()) {
    struct dirent* de = readdir(d);
    if (de == nullptr) break;
    const char* name = de->d_name;
    size_t len = std::strlen(name);
    if (name[0] == '.' && (len == 1 || (len == 2 && name[1] == '.'))) {
      continue;
    }
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
        int sub = openat(dirfd, name,
                         O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub >= 0) {
          ScanDir(sub, q, depth + 1, rel + "/" + std::string(name, len));
        } else if (errno != ENOENT) {
          ++qs.unreadable_files;
          clean = false;
          if (errno == EACCES) out->permission_denied = true;
        }
      } else {
        ++qs.corrupt_files;  // not a hash directory: does not belong here
        ++junk;
      }
      continue;
    }
    if (type != DT_REG || !ValidQueueId(name, len)) {
      ++qs.corrupt_files;  // symlink, socket, fifo, stray file name
      ++junk;
      continue;
    }
    if (HandleFile(dirfd, name, len, de->d_ino, q, dir) !=
        FileOutcome::kTracked) {
      clean = false;
    }
  }
  RememberDir(dir, dst, clean, junk, std::move(subdirs));
  closedir(d);
}

void QueueScanner::Impl::ScanDeferDir(int dirfd, int depth,
                                      bool read_untracked,
                                      const std::string& rel) {
  const uint32_t dir = DirIndex(rel);
  struct stat dst;
  if (fstat(dirfd, &dst) != 0) {
    close(dirfd);
    return;
  }
  if (!read_untracked && DirUnchanged(dir, dst)) {
    std::vector<std::string> subdirs = dirs[dir].subdirs;
    for (const std::string& sd : subdirs) {
      if (TimeUp()) break;
      int sub = openat(dirfd, sd.c_str(),
                       O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub >= 0) ScanDeferDir(sub, depth + 1, read_untracked, rel + "/" + sd);
    }
    close(dirfd);
    return;
  }
  DIR* d = fdopendir(dirfd);
  if (d == nullptr) {
    close(dirfd);
    return;
  }
  bool clean = !read_untracked;
  std::vector<std::string> subdirs;
  while (!TimeUp()) {
    struct dirent* de = readdir(d);
    if (de == nullptr) break;
    const char* name = de->d_name;
    size_t len = std::strlen(name);
    if (name[0] == '.') continue;
    if (de->d_type == DT_DIR || de->d_type == DT_UNKNOWN) {
      if (len == 1 && depth < kMaxHashDepth) {
        int sub = openat(dirfd, name,
                         O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub >= 0) {
          subdirs.emplace_back(name, len);
          ScanDeferDir(sub, depth + 1, read_untracked,
                       rel + "/" + std::string(name, len));
          continue;
        }
        if (de->d_type == DT_DIR) continue;
      } else if (de->d_type == DT_DIR) {
        continue;
      }
    }
    if (!ValidQueueId(name, len)) continue;
    if (!HandleDeferLog(dirfd, name, len, read_untracked, dir)) clean = false;
  }
  RememberDir(dir, dst, clean, 0, std::move(subdirs));
  closedir(d);
}

}  // namespace mailflow
