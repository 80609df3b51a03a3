#include "collectors/queue/queue_collector.h"

#include <algorithm>
#include <ctime>
#include <map>
#include <memory>
#include <mutex>

#include "collectors/common/destination_domains.h"
#include "collectors/common/metrics.h"
#include "collectors/queue/queue_diagnosis.h"
#include "collectors/queue/queue_options.h"
#include "collectors/queue/queue_scanner.h"
#include "lib/base/log.h"
#include "lib/postfix/postfix_instances.h"
#include "lib/postfix/postfix_snapshot.h"

namespace mailflow::queue_collector {

using prometheus::MetricType;

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
  // The instances whose queues are scanned: the enabled, readable ones;
  // the default instance even when its main.cf cannot be read (Postfix's
  // defaults then).
  std::vector<PostfixInstance> Instances() const;
  // Resolves queue_directory and maximal_queue_lifetime (the options for
  // the default instance, else main.cf) and (re)creates `*scanner` when they
  // change.
  // Keeps what diagnose shows of the default instance's scan. REQUIRES: mu_
  // held.
  void Observe(const PostfixInstance& in, const QueueScanner& scanner,
               const Status& scan, const Status& resolved,
               const QueueScanResult& r);
  Status Resolve(const PostfixInstance& in,
                 std::unique_ptr<QueueScanner>* scanner) const;

  QueueCollectorOptions options_;
  // Where the deferred mail's top domains are published for the dns prober.
  const std::shared_ptr<DestinationDomains> destinations_;
  const std::shared_ptr<PostfixSnapshotCache> snapshots_;
  std::mutex mu_;
  // One per instance name (each keeps its own parsed-envelope cache).
  std::map<std::string, std::unique_ptr<QueueScanner>> scanners_;
  // The default instance's last Collect(), for Diagnose().
  QueueFacts seen_;
  std::shared_ptr<const PostfixSnapshot> seen_snapshot_;
};

std::vector<PostfixInstance> QueueCollector::Instances() const {
  std::vector<PostfixInstance> all;
  std::string err;
  if (!DiscoverPostfixInstances(snapshots_.get(), options_.config_directory,
                                &all, nullptr, &err)) {
    PostfixInstance only;
    only.name = "postfix";
    only.config_directory = options_.config_directory;
    only.primary = true;
    all = {only};
  }
  std::vector<PostfixInstance> watched;
  for (PostfixInstance& in : all) {
    if (in.enabled && (in.primary || in.snapshot)) {
      watched.push_back(std::move(in));
    }
  }
  return watched;
}

Status QueueCollector::Resolve(const PostfixInstance& in,
                               std::unique_ptr<QueueScanner>* scanner) const {
  QueueScanOptions want = options_.scan;
  Status status;
  std::string dir = in.primary ? options_.queue_directory : "";
  int64_t lifetime = in.primary ? options_.maximal_queue_lifetime : -1;
  if (dir.empty() || lifetime < 0) {
    // Without main.cf, Postfix's built-in defaults (an empty MainCf).
    static const postfix::MainCf kDefaults;
    const postfix::MainCf& main =
        in.snapshot ? in.snapshot->config.main : kDefaults;
    if (!in.snapshot) {
      status = Status::Error(PostfixConfigDependencyError(in.config_directory) +
                             "; using Postfix's defaults: queue_directory = " +
                             kDefaults.Get("queue_directory") +
                             ", maximal_queue_lifetime = " +
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
  if (!*scanner ||
      (*scanner)->options().queue_directory != want.queue_directory ||
      (*scanner)->options().maximal_queue_lifetime !=
          want.maximal_queue_lifetime) {
    *scanner = std::make_unique<QueueScanner>(want);
  }
  return status;
}

// One instance's scan result as families (without the postfix_instance
// label); the deferred mail's named domains are added to `*domains`.
void AppendQueueFamilies(const QueueScanResult& r,
                         std::map<std::string, uint64_t>* domains,
                         std::vector<prometheus::MetricFamily>* out) {
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
  if (r.queues[static_cast<int>(QueueName::kDeferred)].readable) {
    FamilyBuilder reasons(out, "mailflow_queue_deferred_recipients",
                          "Recipients with a defer log entry, by reason class "
                          "of the last delivery attempt (patterns in "
                          "docs/metrics.md).",
                          MetricType::Gauge);
    for (int i = 0; i < kDeferReasonCount; ++i) {
      reasons.Add({{"reason", DeferReasonName(static_cast<DeferReason>(i))}},
                  static_cast<double>(r.deferred_reasons[i]));
    }
    FamilyBuilder by_domain(out, "mailflow_queue_deferred_domain_recipients",
                            "Pending recipients of deferred messages by "
                            "destination domain: the top N domains, the rest "
                            "summed as domain=\"other\".",
                            MetricType::Gauge);
    for (const auto& [d, n] : r.domains) {
      by_domain.Add({{"domain", d}}, static_cast<double>(n));
      if (d != "other") (*domains)[d] += n;
    }
    AddGauge(out, "mailflow_queue_messages_near_expiry",
             "Messages that reach maximal_queue_lifetime (counted from their "
             "create time) within 24 hours, or already have.",
             static_cast<double>(r.near_expiry));
  }
  AddGauge(out, "mailflow_queue_tracked_messages",
           "Messages whose parsed envelope the exporter caches between "
           "scrapes (capped by max_tracked_messages, per instance).",
           static_cast<double>(r.tracked_messages));
  AddGauge(out, "mailflow_queue_scan_parsed_files",
           "Queue files read and parsed during this scrape (the rest came "
           "from the cache).",
           static_cast<double>(r.parsed_files));
}

void QueueCollector::Observe(const PostfixInstance& in,
                             const QueueScanner& scanner, const Status& scan,
                             const Status& resolved, const QueueScanResult& r) {
  seen_snapshot_ = in.snapshot;
  seen_.config_directory = in.config_directory;
  seen_.queue_directory = scanner.options().queue_directory;
  seen_.maximal_queue_lifetime = scanner.options().maximal_queue_lifetime;
  seen_.error = !scan.ok()      ? scan.message()
                : resolved.ok() ? ""
                                : resolved.message();
  seen_.scan = r;
}

Status QueueCollector::Collect(Deadline deadline,
                               std::vector<prometheus::MetricFamily>* out) {
  std::lock_guard<std::mutex> lock(mu_);
  Status status;
  std::map<std::string, uint64_t> domains;
  bool any_deferred = false;
  std::map<std::string, std::unique_ptr<QueueScanner>> scanners;
  for (const PostfixInstance& in : Instances()) {
    std::unique_ptr<QueueScanner>& scanner = scanners[in.name];
    scanner = std::move(scanners_[in.name]);
    Status resolved = Resolve(in, &scanner);
    QueueScanResult r;
    Status st =
        scanner->Scan(deadline, static_cast<int64_t>(std::time(nullptr)), &r);
    std::vector<prometheus::MetricFamily> part;
    AppendQueueFamilies(r, &domains, &part);
    if (in.primary) Observe(in, *scanner, st, resolved, r);
    AppendWithLabel(std::move(part), kPostfixInstanceLabel, in.name, out);
    any_deferred = any_deferred ||
                   r.queues[static_cast<int>(QueueName::kDeferred)].readable;
    if (status.ok()) status = st.ok() ? resolved : st;
  }
  scanners_ = std::move(scanners);  // instances gone take their caches along
  if (any_deferred) {
    std::vector<std::pair<std::string, uint64_t>> named(domains.begin(),
                                                        domains.end());
    std::stable_sort(
        named.begin(), named.end(),
        [](const auto& a, const auto& b) { return a.second > b.second; });
    destinations_->Publish(std::move(named),
                           static_cast<double>(std::time(nullptr)));
  }
  return status;
}

std::unique_ptr<Collector> CreateQueueCollector(const Config& config,
                                                ConfigMap m,
                                                const CollectorContext& context,
                                                std::string* err) {
  QueueCollectorOptions o;
  if (!ParseQueueOptions(config, std::move(m), &o, err)) return nullptr;
  return std::make_unique<queue_collector::QueueCollector>(
      std::move(o), context.destination_domains, context.postfix);
}

}  // namespace mailflow::queue_collector

namespace mailflow {

void RegisterQueueCollector(CollectorRegistry* registry) {
  registry->Add({"queue", true,
                 "Postfix queue sizes, ages, defer reasons and destinations, "
                 "read from the queue directory",
                 queue_collector::CreateQueueCollector});
}

}  // namespace mailflow
