#include "collectors/queue/queue_scanner.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <unordered_map>

namespace mailflow {

const char* QueueNameString(QueueName q) {
  switch (q) {
    case QueueName::kMaildrop:
      return "maildrop";
    case QueueName::kIncoming:
      return "incoming";
    case QueueName::kActive:
      return "active";
    case QueueName::kDeferred:
      return "deferred";
    case QueueName::kHold:
      return "hold";
    case QueueName::kCorrupt:
      return "corrupt";
  }
  return "unknown";
}

const std::vector<double>& QueueAgeBuckets() {
  static const std::vector<double> kBuckets = {
      300, 600, 1200, 2400, 4800, 9600, 19200, 38400, 76800, 153600, 432000};
  return kBuckets;
}

namespace {

constexpr uint32_t kOtherDomain = 0;  // id 0: overflow, shown as "other"
constexpr int kMaxHashDepth = 4;      // one-char subdirectories followed

int64_t Nanos(const struct timespec& ts) {
  return static_cast<int64_t>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

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

// Interned domain names with reference counts, so that cached messages hold
// a 4-byte id instead of a string. Bounded by `cap`.
class DomainTable {
 public:
  explicit DomainTable(size_t cap) : cap_(cap) {
    names_.push_back("other");
    refs_.push_back(0);
  }
  uint32_t Acquire(const std::string& name) {
    if (name.empty()) return kOtherDomain;
    auto it = ids_.find(name);
    if (it != ids_.end()) {
      ++refs_[it->second];
      return it->second;
    }
    if (ids_.size() >= cap_) return kOtherDomain;
    uint32_t id;
    if (!free_.empty()) {
      id = free_.back();
      free_.pop_back();
      names_[id] = name;
      refs_[id] = 1;
    } else {
      id = static_cast<uint32_t>(names_.size());
      names_.push_back(name);
      refs_.push_back(1);
    }
    ids_.emplace(name, id);
    return id;
  }
  void Release(uint32_t id) {
    if (id == kOtherDomain || id >= refs_.size() || refs_[id] == 0) return;
    if (--refs_[id] == 0) {
      ids_.erase(names_[id]);
      names_[id].clear();
      names_[id].shrink_to_fit();
      free_.push_back(id);
    }
  }
  size_t size() const { return names_.size(); }
  const std::string& name(uint32_t id) const { return names_[id]; }

 private:
  size_t cap_;
  std::unordered_map<std::string, uint32_t> ids_;
  std::vector<std::string> names_;
  std::vector<uint32_t> refs_;
  std::vector<uint32_t> free_;
};

struct DomainCount {
  uint32_t id;
  uint32_t count;
};

// The compact per-message cache entry.
struct Entry {
  uint64_t inode = 0;
  int64_t ctime_ns = 0;
  int64_t arrival = 0;
  int64_t create_time = 0;
  uint64_t size = 0;
  int64_t defer_mtime_ns = -1;
  uint64_t defer_size = 0;
  uint32_t gen = 0;
  uint32_t defer_gen = 0;
  uint32_t dir = 0;        // index into Impl::dirs of its queue directory
  uint32_t defer_dir = 0;  // ... and of its defer log's directory
  uint8_t queue = 0;
  bool corrupt = false;
  uint16_t reasons[kDeferReasonCount] = {};
  DomainCount first_domain{kOtherDomain, 0};
  std::unique_ptr<std::vector<DomainCount>> more_domains;
};

struct ParsedMessage {
  bool corrupt = false;
  int64_t arrival = 0;
  int64_t create_time = 0;
  QueueFileEnvelope env;
};

// What the last complete listing of one directory found. When the
// directory's inode and mtime are unchanged (and the mtime was not too
// recent to trust), no entry was added, removed or renamed in it, so its
// listing is skipped: the cached entries stand.
struct DirState {
  uint64_t ino = 0;
  int64_t mtime_ns = 0;
  bool valid = false;          // listing complete, clean, mtime old enough
  uint32_t unchanged_gen = 0;  // == gen: skipped (unchanged) in this scan
  uint32_t junk = 0;           // corrupt non-queue-file entries it holds
  std::vector<std::string> subdirs;
};

enum class FileOutcome { kTracked, kOther };

int64_t RealtimeNanos() {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return Nanos(ts);
}

}  // namespace

struct QueueScanner::Impl {
  explicit Impl(const QueueScanOptions& o) : opts(o), domains(o.max_domains) {}

  const QueueScanOptions& opts;
  std::unordered_map<std::string, Entry> cache;
  DomainTable domains;
  uint32_t gen = 0;
  std::vector<DirState> dirs;
  std::unordered_map<std::string, uint32_t> dir_index;
  int64_t racy_cutoff_ns = 0;  // dir mtimes at/after this are not trusted
  uint64_t dirs_skipped = 0;

  uint32_t DirIndex(const std::string& rel) {
    auto it = dir_index.find(rel);
    if (it != dir_index.end()) return it->second;
    uint32_t id = static_cast<uint32_t>(dirs.size());
    dirs.emplace_back();
    dir_index.emplace(rel, id);
    return id;
  }
  bool Seen(const Entry& e) const {
    return e.gen == gen || dirs[e.dir].unchanged_gen == gen;
  }
  bool DeferSeen(const Entry& e) const {
    return e.defer_mtime_ns >= 0 &&
           (e.defer_gen == gen || dirs[e.defer_dir].unchanged_gen == gen);
  }

  // Per-scan state.
  QueueScanResult* out = nullptr;
  Deadline::Clock::time_point stop_at;
  int64_t now = 0;
  uint64_t ops = 0;
  bool stopped = false;
  std::unordered_map<std::string, uint64_t> untracked_domains;
  std::string scratch;

  bool TimeUp() {
    if (stopped) return true;
    if ((++ops & 31) == 0 && Deadline::Clock::now() >= stop_at) {
      stopped = true;
    }
    return stopped;
  }

  void ReleaseDomains(Entry* e) {
    if (e->first_domain.count > 0) domains.Release(e->first_domain.id);
    if (e->more_domains) {
      for (const DomainCount& d : *e->more_domains) domains.Release(d.id);
    }
    e->first_domain = {kOtherDomain, 0};
    e->more_domains.reset();
  }

  void StoreDomains(const QueueFileEnvelope& env, Entry* e) {
    ReleaseDomains(e);
    auto add = [&](uint32_t id, uint32_t n) {
      if (e->first_domain.count == 0) {
        e->first_domain = {id, n};
        return;
      }
      if (e->first_domain.id == id && id == kOtherDomain) {
        e->first_domain.count += n;
        domains.Release(id);
        return;
      }
      if (!e->more_domains) {
        e->more_domains = std::make_unique<std::vector<DomainCount>>();
      }
      e->more_domains->push_back({id, n});
    };
    for (const auto& [name, n] : env.domains) add(domains.Acquire(name), n);
    if (env.other_domain_recipients > 0) {
      add(kOtherDomain, env.other_domain_recipients);
    }
    if (e->more_domains) e->more_domains->shrink_to_fit();
  }

  // Reads one queue file through an open descriptor.
  void ParseFile(int fd, QueueName q, const struct stat& st, ParsedMessage* m) {
    ReadAtFn read_at = [fd](uint64_t off, char* buf, size_t len) -> ssize_t {
      return pread(fd, buf, len, static_cast<off_t>(off));
    };
    ReadQueueFile(read_at, opts.file_limits, &m->env);
    ++out->parsed_files;
    const QueueFileEnvelope& env = m->env;
    m->corrupt = env.status == QueueFileStatus::kCorrupt;
    if (env.has_arrival) {
      m->arrival = env.arrival_sec;
    } else if (q == QueueName::kMaildrop) {
      m->arrival = st.st_mtime;  // as showq does
    } else if (!m->corrupt && env.status != QueueFileStatus::kIncomplete) {
      m->corrupt = true;  // qmgr rejects files without an arrival time
    } else {
      m->arrival = st.st_mtime;
    }
    m->create_time = env.has_create_time ? env.create_time : m->arrival;
  }

  void Count(QueueName q, int64_t arrival, int64_t create_time, uint64_t size) {
    QueueStats& s = out->queues[static_cast<int>(q)];
    ++s.messages;
    s.bytes += size;
    double age = static_cast<double>(now - arrival);
    if (age < 0) age = 0;
    if (age > s.oldest_age) s.oldest_age = age;
    s.ages.Observe(age);
    if (q != QueueName::kMaildrop &&
        create_time + opts.maximal_queue_lifetime - now < 86400) {
      ++out->near_expiry;
    }
  }

  FileOutcome HandleFile(int dirfd, const char* name, size_t len,
                         uint64_t d_ino, QueueName q, uint32_t dir);
  void ScanDir(int dirfd, QueueName q, int depth, const std::string& rel);
  void ScanDeferDir(int dirfd, int depth, bool read_untracked,
                    const std::string& rel);
  // True when the log is attached to a tracked message and final (read
  // while the message was not being delivered).
  bool HandleDeferLog(int dirfd, const char* name, size_t len,
                      bool read_untracked, uint32_t dir);
  // Whether `st` matches a trusted listing of `dir`; marks it unchanged.
  bool DirUnchanged(uint32_t dir, const struct stat& st) {
    DirState& ds = dirs[dir];
    if (ds.valid && ds.ino == static_cast<uint64_t>(st.st_ino) &&
        ds.mtime_ns == Nanos(st.st_mtim)) {
      ds.unchanged_gen = gen;
      ++dirs_skipped;
      return true;
    }
    return false;
  }
  void RememberDir(uint32_t dir, const struct stat& st, bool clean,
                   uint32_t junk, std::vector<std::string> subdirs) {
    DirState& ds = dirs[dir];
    ds.ino = static_cast<uint64_t>(st.st_ino);
    ds.mtime_ns = Nanos(st.st_mtim);
    ds.valid = clean && !stopped && ds.mtime_ns < racy_cutoff_ns;
    ds.junk = junk;
    ds.subdirs = std::move(subdirs);
  }
  bool ReadDeferLog(int fd, uint64_t size, uint16_t* reasons);
  void Aggregate();
};

FileOutcome QueueScanner::Impl::HandleFile(int dirfd, const char* name,
                                           size_t len, uint64_t d_ino,
                                           QueueName q, uint32_t dir) {
  constexpr FileOutcome kOther = FileOutcome::kOther;
  QueueStats& qs = out->queues[static_cast<int>(q)];
  std::string id(name, len);
  auto it = cache.find(id);
  struct stat st;
  if (it != cache.end() && it->second.inode == d_ino) {
    Entry& e = it->second;
    if (e.gen == gen) return FileOutcome::kTracked;  // seen twice (moved)
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) return kOther;  // delivered or moved: normal
      ++qs.unreadable_files;
      if (errno == EACCES) out->permission_denied = true;
      return kOther;
    }
    if (!S_ISREG(st.st_mode)) {
      ++qs.corrupt_files;
      return kOther;
    }
    if ((st.st_mode & S_IRWXU) != S_IRWXU) return kOther;  // still being written
    if (static_cast<uint64_t>(st.st_ino) == e.inode &&
        Nanos(st.st_ctim) == e.ctime_ns) {
      e.gen = gen;
      e.queue = static_cast<uint8_t>(q);
      e.dir = dir;
      e.size = static_cast<uint64_t>(st.st_size);
      return FileOutcome::kTracked;  // unchanged: the cached envelope stands
    }
  }
  int fd = openat(dirfd, name,
                  O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOATIME);
  if (fd < 0 && errno == EPERM) {
    fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  }
  if (fd < 0) {
    if (errno == ENOENT) return kOther;
    if (errno == ELOOP || errno == ENXIO || errno == ENOTDIR) {
      ++qs.corrupt_files;  // a symlink or special file in a queue
      return kOther;
    }
    ++qs.unreadable_files;
    if (errno == EACCES) out->permission_denied = true;
    return kOther;
  }
  if (fstat(fd, &st) != 0) {
    ++qs.unreadable_files;
    close(fd);
    return kOther;
  }
  if (!S_ISREG(st.st_mode)) {
    ++qs.corrupt_files;
    close(fd);
    return kOther;
  }
  if ((st.st_mode & S_IRWXU) != S_IRWXU) {
    close(fd);
    return kOther;  // still being written (Postfix's mail_open_ok)
  }
  ParsedMessage m;
  ParseFile(fd, q, st, &m);
  close(fd);
  if (m.env.status == QueueFileStatus::kIoError) {
    ++qs.unreadable_files;
    return kOther;
  }
  const bool track = it != cache.end() || cache.size() < opts.max_tracked_messages;
  if (!track) {
    ++out->untracked_messages;
    if (m.corrupt) {
      ++qs.corrupt_files;
      return kOther;
    }
    Count(q, m.arrival, m.create_time, static_cast<uint64_t>(st.st_size));
    if (q == QueueName::kDeferred) {
      for (const auto& [d, n] : m.env.domains) {
        if (untracked_domains.size() < opts.max_domains ||
            untracked_domains.count(d)) {
          untracked_domains[d] += n;
        } else {
          untracked_domains["other"] += n;
        }
      }
      if (m.env.other_domain_recipients) {
        untracked_domains["other"] += m.env.other_domain_recipients;
      }
    }
    return kOther;
  }
  if (it == cache.end()) it = cache.emplace(std::move(id), Entry()).first;
  Entry& e = it->second;
  if (e.inode != static_cast<uint64_t>(st.st_ino)) {
    // A new file under a reused id: forget the old defer-log state.
    e.defer_mtime_ns = -1;
    std::fill(std::begin(e.reasons), std::end(e.reasons), 0);
  }
  e.inode = static_cast<uint64_t>(st.st_ino);
  e.ctime_ns = Nanos(st.st_ctim);
  e.arrival = m.arrival;
  e.create_time = m.create_time;
  e.size = static_cast<uint64_t>(st.st_size);
  e.gen = gen;
  e.queue = static_cast<uint8_t>(q);
  e.dir = dir;
  e.corrupt = m.corrupt;
  StoreDomains(m.env, &e);
  return FileOutcome::kTracked;
}

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

bool QueueScanner::Impl::ReadDeferLog(int fd, uint64_t size,
                                      uint16_t* reasons) {
  size_t want = std::min<uint64_t>(size, opts.max_defer_log_bytes);
  scratch.resize(want);
  size_t got = 0;
  while (got < want) {
    ssize_t r = pread(fd, scratch.data() + got, want - got,
                      static_cast<off_t>(got));
    if (r < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    if (r == 0) break;
    got += static_cast<size_t>(r);
  }
  scratch.resize(got);
  std::fill(reasons, reasons + kDeferReasonCount, 0);
  ParseDeferLog(scratch, opts.max_defer_log_entries,
                [&](const DeferLogEntry& e) {
                  int r = static_cast<int>(
                      ClassifyDeferReason(e.status, e.reason));
                  if (reasons[r] < UINT16_MAX) ++reasons[r];
                });
  ++out->defer_logs_read;
  return true;
}

bool QueueScanner::Impl::HandleDeferLog(int dirfd, const char* name,
                                        size_t len, bool read_untracked,
                                        uint32_t dir) {
  std::string id(name, len);
  auto it = cache.find(id);
  if (it == cache.end() || !Seen(it->second)) {
    if (!read_untracked) return false;  // orphan: its message just left
    int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return false;
    struct stat st;
    uint16_t reasons[kDeferReasonCount];
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
        ReadDeferLog(fd, static_cast<uint64_t>(st.st_size), reasons)) {
      for (int i = 0; i < kDeferReasonCount; ++i) {
        out->deferred_reasons[i] += reasons[i];
      }
    }
    close(fd);
    return false;
  }
  Entry& e = it->second;
  // Logs grow while their message is being delivered (in active).
  const bool final = e.queue != static_cast<uint8_t>(QueueName::kActive);
  struct stat st;
  if (e.defer_mtime_ns >= 0) {
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
        !S_ISREG(st.st_mode)) {
      return false;
    }
    if (Nanos(st.st_mtim) == e.defer_mtime_ns &&
        static_cast<uint64_t>(st.st_size) == e.defer_size) {
      e.defer_gen = gen;
      e.defer_dir = dir;
      return final;  // unchanged since last read
    }
  }
  int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = false;
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
      ReadDeferLog(fd, static_cast<uint64_t>(st.st_size), e.reasons)) {
    e.defer_mtime_ns = Nanos(st.st_mtim);
    e.defer_size = static_cast<uint64_t>(st.st_size);
    e.defer_gen = gen;
    e.defer_dir = dir;
    ok = final;
  }
  close(fd);
  return ok;
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

void QueueScanner::Impl::Aggregate() {
  std::vector<uint64_t> domain_counts(domains.size(), 0);
  const bool prune = out->complete;
  for (auto it = cache.begin(); it != cache.end();) {
    Entry& e = it->second;
    const bool seen = Seen(e);
    if (!seen && prune) {
      ReleaseDomains(&e);
      it = cache.erase(it);
      continue;
    }
    ++it;
    if (!seen && !e.corrupt) {
      // Partial scan: keep reporting what the last scan found.
      Count(static_cast<QueueName>(e.queue), e.arrival, e.create_time, e.size);
    }
    if (e.corrupt) {
      if (seen) ++out->queues[e.queue].corrupt_files;
      continue;
    }
    if (seen) Count(static_cast<QueueName>(e.queue), e.arrival, e.create_time,
                    e.size);
    if (DeferSeen(e) || (!prune && e.defer_mtime_ns >= 0)) {
      for (int i = 0; i < kDeferReasonCount; ++i) {
        out->deferred_reasons[i] += e.reasons[i];
      }
    } else if (prune && e.defer_mtime_ns >= 0) {
      e.defer_mtime_ns = -1;  // the defer log is gone
      std::fill(std::begin(e.reasons), std::end(e.reasons), 0);
    }
    if (e.queue == static_cast<uint8_t>(QueueName::kDeferred)) {
      if (e.first_domain.count) {
        domain_counts[e.first_domain.id] += e.first_domain.count;
      }
      if (e.more_domains) {
        for (const DomainCount& d : *e.more_domains) {
          domain_counts[d.id] += d.count;
        }
      }
    }
  }
  out->tracked_messages = cache.size();

  // Merge tracked and untracked domain counts, pick the top N.
  std::unordered_map<std::string, uint64_t> merged = std::move(untracked_domains);
  untracked_domains.clear();
  uint64_t other = 0;
  if (auto o = merged.find("other"); o != merged.end()) {
    other += o->second;
    merged.erase(o);
  }
  if (auto o = merged.find(""); o != merged.end()) {
    other += o->second;
    merged.erase(o);
  }
  other += domain_counts[kOtherDomain];
  for (size_t id = 1; id < domain_counts.size(); ++id) {
    if (domain_counts[id]) merged[domains.name(static_cast<uint32_t>(id))] +=
        domain_counts[id];
  }
  std::vector<std::pair<std::string, uint64_t>> all(merged.begin(),
                                                    merged.end());
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  for (size_t i = 0; i < all.size(); ++i) {
    if (i < opts.top_domains) {
      out->domains.push_back(std::move(all[i]));
    } else {
      other += all[i].second;
    }
  }
  if (other > 0) out->domains.emplace_back("other", other);
}

QueueScanner::QueueScanner(QueueScanOptions options)
    : options_(std::move(options)), impl_(new Impl(options_)) {}

QueueScanner::~QueueScanner() = default;

size_t QueueScanner::BytesPerTrackedMessage() {
  // unordered_map node (key + value + next pointer + cached hash) plus a
  // bucket pointer; ids up to 15 chars stay in the string's inline buffer.
  return sizeof(std::pair<const std::string, Entry>) + 2 * sizeof(void*) +
         sizeof(size_t) + sizeof(void*);
}

Status QueueScanner::Scan(Deadline deadline, int64_t now,
                          QueueScanResult* out) {
  std::lock_guard<std::mutex> lock(mu_);
  Impl& s = *impl_;
  *out = QueueScanResult();
  s.out = out;
  s.now = now;
  s.ops = 0;
  s.stopped = false;
  // Leave room to build and serialize the families.
  auto margin = std::chrono::milliseconds(100);
  s.stop_at = deadline.at() - margin;
  if (deadline.at() == Deadline::Clock::time_point::max()) {
    s.stop_at = deadline.at();
  }
  if (++s.gen == 0) s.gen = 1;
  // Directory mtimes within the last 2 s may be followed by more changes in
  // the same timestamp tick: such listings are not trusted next time.
  s.racy_cutoff_ns = RealtimeNanos() - 2000000000LL;
  s.dirs_skipped = 0;

  const std::string& root = options_.queue_directory;
  int rootfd = open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0) {
    int err = errno;
    out->complete = false;
    if (err == EACCES) out->permission_denied = true;
    return Status::Error("cannot open queue directory " + root + ": " +
                         std::strerror(err));
  }
  std::string denied;
  for (int qi = 0; qi < kQueueCount; ++qi) {
    QueueName q = static_cast<QueueName>(qi);
    const char* qname = QueueNameString(q);
    int fd = openat(rootfd, qname, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
      int err = errno;
      if (err == ENOENT && q == QueueName::kCorrupt) {
        out->queues[qi].readable = true;  // created on demand by Postfix
        continue;
      }
      if (err == EACCES) {
        out->permission_denied = true;
        denied += denied.empty() ? "" : ", ";
        denied += qname;
      } else {
        denied += denied.empty() ? "" : ", ";
        denied += std::string(qname) + " (" + std::strerror(err) + ")";
      }
      continue;
    }
    out->queues[qi].readable = true;
    s.ScanDir(fd, q, 0, qname);
    if (s.stopped) break;
  }
  if (!s.stopped) {
    int fd = openat(rootfd, "defer", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
      s.ScanDeferDir(fd, 0, out->untracked_messages > 0, "defer");
    } else if (errno != ENOENT) {
      if (errno == EACCES) out->permission_denied = true;
      denied += denied.empty() ? "" : ", ";
      denied += "defer";
    }
  }
  close(rootfd);
  out->complete = !s.stopped && denied.empty();
  // A partial scan keeps the cache (reported as last seen); a complete one
  // forgets the ids that vanished.
  if (s.stopped) out->complete = false;
  {
    bool complete_for_prune = !s.stopped && denied.empty();
    bool saved = out->complete;
    out->complete = complete_for_prune;
    s.Aggregate();
    out->complete = saved;
  }
  out->dirs_skipped = s.dirs_skipped;
  for (auto& qs : out->queues) {
    if (!qs.readable) qs.messages = 0;
  }
  if (!denied.empty()) {
    return Status::Error(
        std::string(out->permission_denied ? "permission denied" : "cannot read") +
        " listing " + root + ": " + denied +
        (out->permission_denied
             ? " (the exporter needs read access to the Postfix spool: give "
               "it CAP_DAC_READ_SEARCH, e.g. AmbientCapabilities= in its "
               "systemd unit, or run it as root)"
             : " (Postfix creates its queue directories when it starts: has "
               "it run with this queue_directory?)"));
  }
  if (out->permission_denied) {
    return Status::Error("permission denied reading queue files under " +
                         root +
                         " (the exporter needs read access to the Postfix "
                         "spool: give it CAP_DAC_READ_SEARCH or run it as "
                         "root)");
  }
  if (s.stopped) {
    return Status::Error(
        "queue scan stopped at the scrape deadline; messages not reached are "
        "reported as of the previous scan (the next scrapes continue from the "
        "cache)");
  }
  return Status::OK();
}

}  // namespace mailflow
