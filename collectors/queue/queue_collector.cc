#include "collectors/queue/queue_collector.h"

#include <ctime>
#include <memory>
#include <mutex>

#include "collectors/common/destination_domains.h"
#include "collectors/common/metrics.h"
#include "collectors/queue/queue_diagnosis.h"
#include "collectors/queue/queue_scanner.h"
#include "lib/base/log.h"
#include "lib/postfix/postfix_snapshot.h"

namespace mailflow {
namespace {

using prometheus::MetricType;

struct QueueCollectorOptions {
  std::string config_directory;
  std::string queue_directory;          // "" -> main.cf
  int64_t maximal_queue_lifetime = -1;  // -1 -> main.cf
  QueueScanOptions scan;
};

class QueueCollector : public Collector, public Diagnosable {
 public:
  QueueCollector(QueueCollectorOptions options,
                 std::shared_ptr<DestinationDomains> destinations,
                 std::shared_ptr<PostfixSnapshotCache> snapshots)
      : options_(std::move(options)),
        destinations_(std::move(destinations)),
        snapshots_(std::move(snapshots)) {}

  std::string_view Name() const override { return "queue"; }

  Status Collect(Deadline deadline,
                 std::vector<prometheus::MetricFamily>* out) override;

  void Diagnose(std::vector<Finding>* out) const override {
    QueueFacts f = seen_;
    // The retry schedule decides how long greylisted mail waits.
    static const postfix::MainCf kDefaults;
    const postfix::MainCf& main =
        seen_snapshot_ ? seen_snapshot_->config.main : kDefaults;
    f.minimal_backoff_time = main.AsWritten("minimal_backoff_time");
    postfix::MainCf::ParseTimeValue(main.Get("minimal_backoff_time"), 's',
                                    &f.minimal_backoff_seconds);
    if (seen_snapshot_) f.config_file = seen_snapshot_->config.main.source();
    QueueFindings(f, out);
  }

 private:
  // Resolves queue_directory and maximal_queue_lifetime (options, else
  // main.cf) and (re)creates the scanner when they change.
  Status Resolve();

  QueueCollectorOptions options_;
  // Where the deferred mail's top domains are published for the dns prober.
  const std::shared_ptr<DestinationDomains> destinations_;
  const std::shared_ptr<PostfixSnapshotCache> snapshots_;
  std::mutex mu_;
  std::unique_ptr<QueueScanner> scanner_;
  // The last Collect(), for Diagnose().
  QueueFacts seen_;
  std::shared_ptr<const PostfixSnapshot> seen_snapshot_;
};

Status QueueCollector::Resolve() {
  QueueScanOptions want = options_.scan;
  Status status;
  std::string dir = options_.queue_directory;
  int64_t lifetime = options_.maximal_queue_lifetime;
  if (dir.empty() || lifetime < 0) {
    std::string err;
    std::shared_ptr<const PostfixSnapshot> snapshot =
        snapshots_->Get(options_.config_directory, &err);
    // Without main.cf, Postfix's built-in defaults (an empty MainCf).
    static const postfix::MainCf kDefaults;
    const postfix::MainCf& main = snapshot ? snapshot->config.main : kDefaults;
    if (!snapshot) {
      status = Status::Error(
          PostfixConfigDependencyError(options_.config_directory) +
          "; using Postfix's defaults: queue_directory = " +
          kDefaults.Get("queue_directory") + ", maximal_queue_lifetime = " +
          kDefaults.Get("maximal_queue_lifetime"));
    }
    if (dir.empty()) dir = main.Get("queue_directory");
    if (dir.empty()) dir = kDefaults.Get("queue_directory");
    if (lifetime < 0) {
      int64_t secs = 0;
      if (!postfix::MainCf::ParseTimeValue(main.Get("maximal_queue_lifetime"),
                                           'd', &secs)) {
        postfix::MainCf::ParseTimeValue(kDefaults.Get("maximal_queue_lifetime"),
                                        'd', &secs);
      }
      lifetime = secs;
    }
    // Postfix: a zero lifetime means "bounce after one attempt".
  }
  want.queue_directory = dir;
  want.maximal_queue_lifetime = lifetime;
  if (!scanner_ ||
      scanner_->options().queue_directory != want.queue_directory ||
      scanner_->options().maximal_queue_lifetime !=
          want.maximal_queue_lifetime) {
    scanner_ = std::make_unique<QueueScanner>(want);
  }
  return status;
}

Status QueueCollector::Collect(Deadline deadline,
                               std::vector<prometheus::MetricFamily>* out) {
  std::lock_guard<std::mutex> lock(mu_);
  Status resolved = Resolve();
  QueueScanResult r;
  Status st =
      scanner_->Scan(deadline, static_cast<int64_t>(std::time(nullptr)), &r);

  FamilyBuilder messages(out, "mailflow_queue_messages",
                         "Messages in each Postfix queue (read from the queue "
                         "directory at scrape time).",
                         MetricType::Gauge);
  FamilyBuilder bytes(out, "mailflow_queue_size_bytes",
                      "Bytes of queue files in each Postfix queue.",
                      MetricType::Gauge);
  FamilyBuilder oldest(out, "mailflow_queue_oldest_message_age_seconds",
                       "Age of the oldest message in each queue, from the "
                       "queue file's arrival time record (0 when empty).",
                       MetricType::Gauge);
  FamilyBuilder ages(out, "mailflow_queue_message_age_seconds",
                     "Snapshot distribution of message ages per queue at "
                     "scrape time (qshape-like buckets); NOT cumulative over "
                     "time: rate() and increase() do not apply.",
                     MetricType::Histogram);
  FamilyBuilder corrupt(out, "mailflow_queue_corrupt_files",
                        "Files in a queue directory that are not valid queue "
                        "files (malformed records, no arrival time, symlinks, "
                        "stray directories).",
                        MetricType::Gauge);
  FamilyBuilder unreadable(out, "mailflow_queue_unreadable_files",
                           "Queue files the exporter could not open or read "
                           "(permissions, I/O errors).",
                           MetricType::Gauge);
  for (int qi = 0; qi < kQueueCount; ++qi) {
    const QueueStats& q = r.queues[qi];
    if (!q.readable) continue;  // never a silent zero
    const Labels l = {{"queue", QueueNameString(static_cast<QueueName>(qi))}};
    messages.Add(l, static_cast<double>(q.messages));
    bytes.Add(l, static_cast<double>(q.bytes));
    oldest.Add(l, q.oldest_age);
    ages.AddHistogram(l, q.ages);
    corrupt.Add(l, static_cast<double>(q.corrupt_files));
    unreadable.Add(l, static_cast<double>(q.unreadable_files));
  }
  const bool deferred_readable =
      r.queues[static_cast<int>(QueueName::kDeferred)].readable;
  if (deferred_readable) {
    FamilyBuilder reasons(out, "mailflow_queue_deferred_recipients",
                          "Recipients with a defer log entry, by reason class "
                          "of the last delivery attempt (patterns in "
                          "docs/metrics.md).",
                          MetricType::Gauge);
    for (int i = 0; i < kDeferReasonCount; ++i) {
      reasons.Add({{"reason", DeferReasonName(static_cast<DeferReason>(i))}},
                  static_cast<double>(r.deferred_reasons[i]));
    }
    FamilyBuilder domains(out, "mailflow_queue_deferred_domain_recipients",
                          "Pending recipients of deferred messages by "
                          "destination domain: the top N domains, the rest "
                          "summed as domain=\"other\".",
                          MetricType::Gauge);
    std::vector<std::pair<std::string, uint64_t>> named;
    for (const auto& [d, n] : r.domains) {
      domains.Add({{"domain", d}}, static_cast<double>(n));
      if (d != "other") named.emplace_back(d, n);
    }
    destinations_->Publish(std::move(named),
                           static_cast<double>(std::time(nullptr)));
    AddGauge(out, "mailflow_queue_messages_near_expiry",
             "Messages that reach maximal_queue_lifetime (counted from their "
             "create time) within 24 hours, or already have.",
             static_cast<double>(r.near_expiry));
  }
  AddGauge(out, "mailflow_queue_tracked_messages",
           "Messages whose parsed envelope the exporter caches between "
           "scrapes (capped by max_tracked_messages).",
           static_cast<double>(r.tracked_messages));
  AddGauge(out, "mailflow_queue_scan_parsed_files",
           "Queue files read and parsed during this scrape (the rest came "
           "from the cache).",
           static_cast<double>(r.parsed_files));
  std::string err;
  seen_snapshot_ = snapshots_->Get(options_.config_directory, &err);
  seen_.config_directory = options_.config_directory;
  seen_.queue_directory = scanner_->options().queue_directory;
  seen_.maximal_queue_lifetime = scanner_->options().maximal_queue_lifetime;
  seen_.error = !st.ok()        ? st.message()
                : resolved.ok() ? ""
                                : resolved.message();
  seen_.scan = std::move(r);
  if (!st.ok()) return st;
  return resolved;
}

std::unique_ptr<Collector> CreateQueueCollector(const Config& config,
                                                ConfigMap m,
                                                const CollectorContext& context,
                                                std::string* err) {
  QueueCollectorOptions o;
  o.config_directory = config.paths.postfix_config_directory;
  int64_t n = 0;
  if (!m.GetString("queue_directory", &o.queue_directory, err)) return nullptr;
  if (m.Has("maximal_queue_lifetime")) {
    std::chrono::milliseconds d{0};
    if (!m.GetDuration("maximal_queue_lifetime", &d, err)) return nullptr;
    o.maximal_queue_lifetime = d.count() / 1000;
  }
  n = static_cast<int64_t>(o.scan.top_domains);
  if (!m.GetInt("top_domains", 0, 1000, &n, err)) return nullptr;
  o.scan.top_domains = static_cast<size_t>(n);
  n = static_cast<int64_t>(o.scan.max_tracked_messages);
  if (!m.GetInt("max_tracked_messages", 0, 100000000, &n, err)) return nullptr;
  o.scan.max_tracked_messages = static_cast<size_t>(n);
  n = static_cast<int64_t>(o.scan.max_domains);
  if (!m.GetInt("max_domains", 1, 10000000, &n, err)) return nullptr;
  o.scan.max_domains = static_cast<size_t>(n);
  if (!m.Finish(err)) return nullptr;
  return std::make_unique<QueueCollector>(
      std::move(o), context.destination_domains, context.postfix);
}

}  // namespace

void RegisterQueueCollector(CollectorRegistry* registry) {
  registry->Add({"queue", true,
                 "Postfix queue sizes, ages, defer reasons and destinations, "
                 "read from the queue directory",
                 CreateQueueCollector});
}

}  // namespace mailflow
