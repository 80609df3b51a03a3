// Internal to the queue scanner (queue_scanner*.cc): the incremental cache's
// types and QueueScanner::Impl, shared by the directory walk
// (queue_scanner_walk.cc), the per-file readers (queue_scanner_files.cc) and
// the scan driver and aggregation (queue_scanner.cc). Not a public header.
#pragma once

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <unordered_map>

#include "collectors/queue/queue_scanner.h"

namespace mailflow {
namespace queue_scanner_internal {

constexpr uint32_t kOtherDomain = 0;  // id 0: overflow, shown as "other"
constexpr int kMaxHashDepth = 4;      // one-char subdirectories followed

inline int64_t Nanos(const struct timespec& ts) {
  return static_cast<int64_t>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

inline bool ValidQueueId(const char* name, size_t len) {
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
  std::string rel;  // path below the queue directory: "defer/A"
};

enum class FileOutcome { kTracked, kOther };

inline int64_t RealtimeNanos() {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return Nanos(ts);
}

}  // namespace queue_scanner_internal

using queue_scanner_internal::DirState;
using queue_scanner_internal::DomainCount;
using queue_scanner_internal::DomainTable;
using queue_scanner_internal::Entry;
using queue_scanner_internal::FileOutcome;
using queue_scanner_internal::kMaxHashDepth;
using queue_scanner_internal::kOtherDomain;
using queue_scanner_internal::Nanos;
using queue_scanner_internal::ParsedMessage;
using queue_scanner_internal::RealtimeNanos;
using queue_scanner_internal::ValidQueueId;

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
    dirs.back().rel = rel;
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
  std::string scratch;   // defer log text
  std::string window;    // queue file read buffer
  ParsedMessage parsed;  // the queue file being read

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

  // Reads one queue file through an open descriptor into `m` (reused from
  // file to file, like `window`). A read that comes back short at or past
  // the size fstat gave is the end of the file: the reader is not sent back
  // for the 0 that would confirm it (one pread per small file, not two).
  void ParseFile(int fd, QueueName q, const struct stat& st, ParsedMessage* m) {
    struct Source {
      int fd;
      uint64_t size;
      uint64_t eof;
    } src{fd, static_cast<uint64_t>(st.st_size), UINT64_MAX};
    ReadAtFn read_at = [&src](uint64_t off, char* buf, size_t len) -> ssize_t {
      if (off >= src.eof) return 0;
      ssize_t r = pread(src.fd, buf, len, static_cast<off_t>(off));
      if (r >= 0 && static_cast<size_t>(r) < len &&
          off + static_cast<uint64_t>(r) >= src.size) {
        src.eof = off + static_cast<uint64_t>(r);
      }
      return r;
    };
    ReadQueueFile(read_at, opts.file_limits, &m->env, &window);
    ++out->parsed_files;
    const QueueFileEnvelope& env = m->env;
    m->corrupt = env.status == QueueFileStatus::kCorrupt;
    m->arrival = 0;
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
  // Reads a defer log: recipients per reason class into `reasons`; the
  // first entry of a class without a sample becomes its sample.
  bool ReadDeferLog(int fd, uint64_t size, const std::string& queue_id,
                    uint16_t* reasons);
  // Opens a defer log for reading: a regular file only, never blocking.
  // -1 otherwise (a special file counts as corrupt).
  int OpenDeferLog(int dirfd, const char* name, struct stat* st);
  void Aggregate();
  // Drops samples whose message left (or whose log changed class) and
  // re-reads one defer log for each class that has recipients but no sample.
  void RefreshSamples(const std::array<std::string, kDeferReasonCount>& ids);

  // Survive scans: one defer-log entry per reason class.
  std::array<DeferSample, kDeferReasonCount> samples;
};

}  // namespace mailflow
