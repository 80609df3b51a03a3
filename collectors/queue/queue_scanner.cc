// QueueScanner: the scan driver (Scan), what each queue file and defer log
// means for the cache (HandleFile, HandleDeferLog) and the tally of a scan
// (Aggregate). The parts: QueueWalker (listings), EnvelopeCache (messages),
// DeferLogReader (defer logs), DomainTable (destination domains).
#include "collectors/queue/queue_scanner.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <unordered_map>

#include "collectors/queue/defer_log_reader.h"
#include "collectors/queue/envelope_cache.h"
#include "collectors/queue/queue_message_reader.h"
#include "collectors/queue/queue_walker.h"

namespace mailflow {
namespace {

using queue_collector::CachedMessage;
using queue_collector::DeferLogReader;
using queue_collector::DomainTable;
using queue_collector::EnvelopeCache;
using queue_collector::Nanos;
using queue_collector::QueueFileAccess;
using queue_collector::QueueMessage;
using queue_collector::QueueMessageReader;
using queue_collector::QueueWalker;
using queue_collector::RankDomains;
using queue_collector::ScanBudget;

int64_t RealtimeNanos() {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return Nanos(ts);
}

}  // namespace

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

struct QueueScanner::Impl {
  explicit Impl(const QueueScanOptions& o)
      : opts(o),
        cache(o.max_domains),
        reader(o.file_limits),
        defer_logs(o.max_defer_log_bytes, o.max_defer_log_entries) {}

  const QueueScanOptions& opts;
  EnvelopeCache cache;
  QueueMessageReader reader;
  DeferLogReader defer_logs;
  QueueWalker walker;
  uint32_t gen = 0;

  // Per-scan state.
  QueueScanResult* out = nullptr;
  ScanBudget budget;
  int64_t now = 0;
  std::unordered_map<std::string, uint64_t> untracked_domains;

  bool Seen(const CachedMessage& e) const {
    return e.gen == gen || walker.Unchanged(e.dir);
  }
  bool DeferSeen(const CachedMessage& e) const {
    return e.defer_mtime_ns >= 0 &&
           (e.defer_gen == gen || walker.Unchanged(e.defer_dir));
  }

  void Count(QueueName q, int64_t arrival, int64_t create_time, uint64_t size);
  void CountUntracked(QueueName q, const QueueMessage& m, uint64_t size);
  // Counts a file that cannot be read; false (not tracked).
  bool Refused(QueueFileAccess access, QueueStats* qs);
  // True when the file is tracked (its cache entry is current).
  bool HandleFile(int dirfd, const char* name, size_t len, uint64_t d_ino,
                  QueueName q, uint32_t dir);
  // True when the log is attached to a tracked message and final (read
  // while the message was not being delivered).
  bool HandleDeferLog(int dirfd, const char* name, size_t len,
                      bool read_untracked, uint32_t dir);
  // DeferLogReader::Open, counting special files as corrupt.
  int OpenDeferLog(int dirfd, const char* name, struct stat* st);
  // DeferLogReader::Read, counted in defer_logs_read.
  bool ReadDeferLog(int fd, uint64_t size, const std::string& queue_id,
                    uint16_t* reasons);
  std::string WalkSpool(int rootfd);
  void Aggregate();
  // Drops samples whose message left (or whose log changed class) and
  // re-reads one defer log for each class that has recipients but no sample.
  void RefreshSamples(const std::array<std::string, kDeferReasonCount>& ids);
};

bool QueueScanner::Impl::Refused(QueueFileAccess access, QueueStats* qs) {
  switch (access) {
    case QueueFileAccess::kCorrupt:
      ++qs->corrupt_files;
      break;
    case QueueFileAccess::kDenied:
      out->permission_denied = true;
      ++qs->unreadable_files;
      break;
    case QueueFileAccess::kUnreadable:
      ++qs->unreadable_files;
      break;
    default:
      break;  // gone, or still being written: nothing wrong
  }
  return false;
}

void QueueScanner::Impl::Count(QueueName q, int64_t arrival,
                               int64_t create_time, uint64_t size) {
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

bool QueueScanner::Impl::HandleFile(int dirfd, const char* name, size_t len,
                                    uint64_t d_ino, QueueName q, uint32_t dir) {
  QueueStats& qs = out->queues[static_cast<int>(q)];
  std::string id(name, len);
  auto it = cache.find(id);
  struct stat st;
  if (it != cache.end() && it->second.inode == d_ino) {
    CachedMessage& e = it->second;
    if (e.gen == gen) return true;  // seen twice (moved)
    const QueueFileAccess access = QueueMessageReader::Stat(dirfd, name, &st);
    if (access != QueueFileAccess::kOk) return Refused(access, &qs);
    if (static_cast<uint64_t>(st.st_ino) == e.inode &&
        Nanos(st.st_ctim) == e.ctime_ns) {
      e.gen = gen;
      e.queue = static_cast<uint8_t>(q);
      e.dir = dir;
      e.size = static_cast<uint64_t>(st.st_size);
      return true;  // unchanged: the cached envelope stands
    }
  }
  int fd = -1;
  const QueueFileAccess access =
      QueueMessageReader::Open(dirfd, name, &fd, &st);
  if (access != QueueFileAccess::kOk) return Refused(access, &qs);
  const QueueMessage& m = reader.Read(fd, q, st);
  ++out->parsed_files;
  close(fd);
  if (m.env.status == QueueFileStatus::kIoError) {
    ++qs.unreadable_files;
    return false;
  }
  const bool track =
      it != cache.end() || cache.size() < opts.max_tracked_messages;
  if (!track) {
    ++out->untracked_messages;
    if (m.corrupt) {
      ++qs.corrupt_files;
      return false;
    }
    CountUntracked(q, m, static_cast<uint64_t>(st.st_size));
    return false;
  }
  if (it == cache.end()) it = cache.Insert(std::move(id));
  CachedMessage& e = it->second;
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
  cache.StoreDomains(m.env, &e);
  return true;
}

void QueueScanner::Impl::CountUntracked(QueueName q, const QueueMessage& m,
                                        uint64_t size) {
  Count(q, m.arrival, m.create_time, size);
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
}

int QueueScanner::Impl::OpenDeferLog(int dirfd, const char* name,
                                     struct stat* st) {
  // Special files in defer/ count as corrupt files of the deferred queue
  // (mailflow_queue_corrupt_files).
  bool corrupt = false;
  const int fd = DeferLogReader::Open(dirfd, name, st, &corrupt);
  if (corrupt) {
    ++out->queues[static_cast<int>(QueueName::kDeferred)].corrupt_files;
  }
  return fd;
}

bool QueueScanner::Impl::ReadDeferLog(int fd, uint64_t size,
                                      const std::string& queue_id,
                                      uint16_t* reasons) {
  if (!defer_logs.Read(fd, size, queue_id, reasons)) return false;
  ++out->defer_logs_read;
  return true;
}

bool QueueScanner::Impl::HandleDeferLog(int dirfd, const char* name, size_t len,
                                        bool read_untracked, uint32_t dir) {
  std::string id(name, len);
  auto it = cache.find(id);
  if (it == cache.end() || !Seen(it->second)) {
    if (!read_untracked) return false;  // orphan: its message just left
    struct stat st;
    int fd = OpenDeferLog(dirfd, name, &st);
    if (fd < 0) return false;
    uint16_t reasons[kDeferReasonCount];
    if (ReadDeferLog(fd, static_cast<uint64_t>(st.st_size), id, reasons)) {
      for (int i = 0; i < kDeferReasonCount; ++i) {
        out->deferred_reasons[i] += reasons[i];
      }
    }
    close(fd);
    return false;
  }
  CachedMessage& e = it->second;
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
  int fd = OpenDeferLog(dirfd, name, &st);
  if (fd < 0) return false;
  bool ok = false;
  if (ReadDeferLog(fd, static_cast<uint64_t>(st.st_size), id, e.reasons)) {
    e.defer_mtime_ns = Nanos(st.st_mtim);
    e.defer_size = static_cast<uint64_t>(st.st_size);
    e.defer_gen = gen;
    e.defer_dir = dir;
    ok = final;
  }
  close(fd);
  return ok;
}

void QueueScanner::Impl::Aggregate() {
  std::vector<uint64_t> domain_counts(cache.domains().size(), 0);
  const bool prune = out->complete;
  std::array<std::string, kDeferReasonCount> sample_ids;
  for (auto it = cache.begin(); it != cache.end();) {
    CachedMessage& e = it->second;
    const bool seen = Seen(e);
    if (!seen && prune) {
      it = cache.Erase(it);
      continue;
    }
    const std::string& id = it->first;
    ++it;
    if (!seen && !e.corrupt) {
      // Partial scan: keep reporting what the last scan found.
      Count(static_cast<QueueName>(e.queue), e.arrival, e.create_time, e.size);
    }
    if (e.corrupt) {
      if (seen) ++out->queues[e.queue].corrupt_files;
      continue;
    }
    if (seen)
      Count(static_cast<QueueName>(e.queue), e.arrival, e.create_time, e.size);
    if (DeferSeen(e) || (!prune && e.defer_mtime_ns >= 0)) {
      for (int i = 0; i < kDeferReasonCount; ++i) {
        out->deferred_reasons[i] += e.reasons[i];
        if (e.reasons[i] && sample_ids[i].empty()) sample_ids[i] = id;
      }
    } else if (prune && e.defer_mtime_ns >= 0) {
      e.defer_mtime_ns = -1;  // the defer log is gone
      std::fill(std::begin(e.reasons), std::end(e.reasons), 0);
    }
    if (e.queue == static_cast<uint8_t>(QueueName::kDeferred)) {
      EnvelopeCache::AddDomainCounts(e, &domain_counts);
    }
  }
  out->tracked_messages = cache.size();

  out->domains = RankDomains(std::move(untracked_domains), cache.domains(),
                             domain_counts, opts.top_domains);
  untracked_domains.clear();
  RefreshSamples(sample_ids);
}

void QueueScanner::Impl::RefreshSamples(
    const std::array<std::string, kDeferReasonCount>& ids) {
  for (int r = 0; r < kDeferReasonCount; ++r) {
    DeferSample& sample = defer_logs.samples()[r];
    if (!sample.queue_id.empty()) {
      auto it = cache.find(sample.queue_id);
      if (it == cache.end() || !DeferSeen(it->second) ||
          it->second.reasons[r] == 0) {
        sample = DeferSample();
      }
    }
    if (sample.queue_id.empty() && !ids[r].empty()) {
      // One more read, only while a class has no sample.
      const CachedMessage& e = cache.find(ids[r])->second;
      const std::string path =
          opts.queue_directory + "/" + walker.rel(e.defer_dir) + "/" + ids[r];
      int fd = open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
      struct stat st;
      uint16_t reasons[kDeferReasonCount];
      if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        ReadDeferLog(fd, static_cast<uint64_t>(st.st_size), ids[r], reasons);
      }
      if (fd >= 0) close(fd);
    }
    out->samples[r] = sample;
  }
}

QueueScanner::QueueScanner(QueueScanOptions options)
    : options_(std::move(options)), impl_(new Impl(options_)) {}

QueueScanner::~QueueScanner() = default;

size_t QueueScanner::BytesPerTrackedMessage() {
  return EnvelopeCache::BytesPerMessage();
}

// Walks the queues and then the defer logs under `rootfd`; returns the
// directories that could not be listed ("" when none), comma-separated.
std::string QueueScanner::Impl::WalkSpool(int rootfd) {
  std::string denied;
  auto refuse = [&denied](const std::string& what) {
    denied += denied.empty() ? "" : ", ";
    denied += what;
  };
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
      if (err == EACCES) out->permission_denied = true;
      refuse(err == EACCES
                 ? std::string(qname)
                 : std::string(qname) + " (" + std::strerror(err) + ")");
      continue;
    }
    out->queues[qi].readable = true;
    walker.WalkQueue(fd, q, 0, qname, &out->queues[qi], &out->permission_denied,
                     [this, q](int dirfd, const char* name, size_t len,
                               uint64_t d_ino, uint32_t dir) {
                       return HandleFile(dirfd, name, len, d_ino, q, dir);
                     });
    if (budget.stopped()) return denied;
  }
  int fd = openat(rootfd, "defer", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    const bool untracked = out->untracked_messages > 0;
    walker.WalkDeferLogs(fd, 0, untracked, "defer",
                         [this, untracked](int dirfd, const char* name,
                                           size_t len, uint64_t, uint32_t dir) {
                           return HandleDeferLog(dirfd, name, len, untracked,
                                                 dir);
                         });
  } else if (errno != ENOENT) {
    if (errno == EACCES) out->permission_denied = true;
    refuse("defer");
  }
  return denied;
}

namespace {

// What a scan of `root` that could not list `denied` says went wrong.
Status ScanStatus(const std::string& root, const std::string& denied,
                  bool permission_denied, bool stopped) {
  if (!denied.empty()) {
    return Status::Error(
        std::string(permission_denied ? "permission denied" : "cannot read") +
        " listing " + root + ": " + denied +
        (permission_denied
             ? " (the exporter needs read access to the Postfix spool: give "
               "it CAP_DAC_READ_SEARCH, e.g. AmbientCapabilities= in its "
               "systemd unit or --cap-add=DAC_READ_SEARCH for the container "
               "image, or run it as root)"
             : " (Postfix creates its queue directories when it starts: has "
               "it run with this queue_directory?)"));
  }
  if (permission_denied) {
    return Status::Error("permission denied reading queue files under " + root +
                         " (the exporter needs read access to the Postfix "
                         "spool: give it CAP_DAC_READ_SEARCH "
                         "(--cap-add=DAC_READ_SEARCH for the container image) "
                         "or run it as root)");
  }
  if (stopped) {
    return Status::Error(
        "queue scan stopped at the scrape deadline; messages not reached are "
        "reported as of the previous scan (the next scrapes continue from the "
        "cache)");
  }
  return Status::OK();
}

}  // namespace

Status QueueScanner::Scan(Deadline deadline, int64_t now,
                          QueueScanResult* out) {
  std::lock_guard<std::mutex> lock(mu_);
  Impl& s = *impl_;
  *out = QueueScanResult();
  s.out = out;
  s.now = now;
  // Leave room to build and serialize the families.
  auto margin = std::chrono::milliseconds(100);
  s.budget.Reset(deadline.at() == Deadline::Clock::time_point::max()
                     ? deadline.at()
                     : deadline.at() - margin);
  if (++s.gen == 0) s.gen = 1;
  // Directory mtimes within the last 2 s may be followed by more changes in
  // the same timestamp tick: such listings are not trusted next time.
  s.walker.BeginScan(s.gen, RealtimeNanos() - 2000000000LL, &s.budget);

  const std::string& root = options_.queue_directory;
  int rootfd = open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0) {
    int err = errno;
    out->complete = false;
    if (err == EACCES) out->permission_denied = true;
    return Status::Error("cannot open queue directory " + root + ": " +
                         std::strerror(err));
  }
  const std::string denied = s.WalkSpool(rootfd);
  close(rootfd);
  // A partial scan keeps the cache (reported as last seen); a complete one
  // forgets the ids that vanished.
  out->complete = !s.budget.stopped() && denied.empty();
  s.Aggregate();
  out->dirs_skipped = s.walker.dirs_skipped();
  for (auto& qs : out->queues) {
    if (!qs.readable) qs.messages = 0;
  }
  return ScanStatus(root, denied, out->permission_denied, s.budget.stopped());
}

}  // namespace mailflow
