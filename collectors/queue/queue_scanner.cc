#include "collectors/queue/queue_scanner.h"

#include "collectors/queue/queue_scanner_internal.h"

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

void QueueScanner::Impl::Aggregate() {
  std::vector<uint64_t> domain_counts(domains.size(), 0);
  const bool prune = out->complete;
  std::array<std::string, kDeferReasonCount> sample_ids;
  for (auto it = cache.begin(); it != cache.end();) {
    Entry& e = it->second;
    const bool seen = Seen(e);
    if (!seen && prune) {
      ReleaseDomains(&e);
      it = cache.erase(it);
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
  std::unordered_map<std::string, uint64_t> merged =
      std::move(untracked_domains);
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
    if (domain_counts[id])
      merged[domains.name(static_cast<uint32_t>(id))] += domain_counts[id];
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
  RefreshSamples(sample_ids);
}

void QueueScanner::Impl::RefreshSamples(
    const std::array<std::string, kDeferReasonCount>& ids) {
  for (int r = 0; r < kDeferReasonCount; ++r) {
    DeferSample& sample = samples[r];
    if (!sample.queue_id.empty()) {
      auto it = cache.find(sample.queue_id);
      if (it == cache.end() || !DeferSeen(it->second) ||
          it->second.reasons[r] == 0) {
        sample = DeferSample();
      }
    }
    if (sample.queue_id.empty() && !ids[r].empty()) {
      // One more read, only while a class has no sample.
      const Entry& e = cache.at(ids[r]);
      const std::string path =
          opts.queue_directory + "/" + dirs[e.defer_dir].rel + "/" + ids[r];
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
        std::string(out->permission_denied ? "permission denied"
                                           : "cannot read") +
        " listing " + root + ": " + denied +
        (out->permission_denied
             ? " (the exporter needs read access to the Postfix spool: give "
               "it CAP_DAC_READ_SEARCH, e.g. AmbientCapabilities= in its "
               "systemd unit or --cap-add=DAC_READ_SEARCH for the container "
               "image, or run it as root)"
             : " (Postfix creates its queue directories when it starts: has "
               "it run with this queue_directory?)"));
  }
  if (out->permission_denied) {
    return Status::Error("permission denied reading queue files under " + root +
                         " (the exporter needs read access to the Postfix "
                         "spool: give it CAP_DAC_READ_SEARCH "
                         "(--cap-add=DAC_READ_SEARCH for the container image) "
                         "or run it as root)");
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
