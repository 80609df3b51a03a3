// QueueScanner's per-file readers: one queue file (HandleFile, through the
// incremental cache) and one defer log (ReadDeferLog, HandleDeferLog).
#include "collectors/queue/queue_scanner_internal.h"

namespace mailflow {

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
    if ((st.st_mode & S_IRWXU) != S_IRWXU) {
      return kOther;  // still being written
    }
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
  ParsedMessage& m = parsed;
  ParseFile(fd, q, st, &m);
  close(fd);
  if (m.env.status == QueueFileStatus::kIoError) {
    ++qs.unreadable_files;
    return kOther;
  }
  const bool track =
      it != cache.end() || cache.size() < opts.max_tracked_messages;
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

bool QueueScanner::Impl::ReadDeferLog(int fd, uint64_t size,
                                      const std::string& queue_id,
                                      uint16_t* reasons) {
  size_t want = std::min<uint64_t>(size, opts.max_defer_log_bytes);
  scratch.resize(want);
  size_t got = 0;
  while (got < want) {
    ssize_t r =
        pread(fd, scratch.data() + got, want - got, static_cast<off_t>(got));
    if (r < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    if (r == 0) break;
    got += static_cast<size_t>(r);
  }
  scratch.resize(got);
  std::fill(reasons, reasons + kDeferReasonCount, 0);
  ParseDeferLog(
      scratch, opts.max_defer_log_entries, [&](const DeferLogEntry& e) {
        int r = static_cast<int>(ClassifyDeferReason(e.status, e.reason));
        if (reasons[r] < UINT16_MAX) ++reasons[r];
        DeferSample& sample = samples[r];
        if (sample.queue_id.empty() || sample.queue_id == queue_id) {
          sample.queue_id = queue_id;
          sample.recipient = std::string(e.recipient.substr(0, 200));
          sample.status = std::string(e.status.substr(0, 16));
          sample.text =
              std::string(e.reason.substr(0, DeferSample::kMaxSampleText));
        }
      });
  ++out->defer_logs_read;
  return true;
}

int QueueScanner::Impl::OpenDeferLog(int dirfd, const char* name,
                                     struct stat* st) {
  // defer/ is writable by the postfix user: a FIFO planted there must not
  // block the scan (O_NONBLOCK makes open() return at once), and only a
  // regular file is read. Others count as corrupt files of the deferred
  // queue (mailflow_queue_corrupt_files).
  int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    if (errno == ELOOP || errno == ENXIO) {
      ++out->queues[static_cast<int>(QueueName::kDeferred)].corrupt_files;
    }
    return -1;
  }
  if (fstat(fd, st) != 0) {
    close(fd);
    return -1;
  }
  if (!S_ISREG(st->st_mode)) {
    ++out->queues[static_cast<int>(QueueName::kDeferred)].corrupt_files;
    close(fd);
    return -1;
  }
  return fd;
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

}  // namespace mailflow
