// CollectorSet: the enabled collectors of one configuration, run per scrape.
#pragma once

#include <prometheus/metric_family.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "collectors/finding.h"
#include "collectors/registry.h"
#include "config/config.h"
#include "lib/base/deadline.h"

namespace mailflow {

/// Command-line choices that override the config's `enabled` keys.
struct CollectorSelection {
  /// --collector.NAME (true) / --no-collector.NAME (false).
  std::map<std::string, bool> flags;
  /// --collector.disable-defaults: only explicitly enabled collectors run.
  bool disable_defaults = false;
};

/// Owns the collectors built from one Config. Collect() is thread-safe and
/// may run from several HTTP threads at once: each collector is collected by
/// one thread at a time (a concurrent scrape waits for it, up to its own
/// deadline). A collector that overruns keeps running on its own thread after
/// the scrape returned; its result is dropped and the set stays alive until
/// it finishes.
class CollectorSet {
 public:
  /// Builds every enabled collector. Fails with a "FILE:LINE:COL: message"
  /// error on an unknown collector name in the config, an unknown flag name,
  /// or a collector rejecting its options.
  /// `context` is shared with the collectors (see CollectorContext).
  static std::unique_ptr<CollectorSet> Build(
      const CollectorRegistry& registry, const Config& config,
      const CollectorSelection& sel,
      const std::shared_ptr<CollectorContext>& context, std::string* err);
  /// As above, with a context of its own.
  static std::unique_ptr<CollectorSet> Build(const CollectorRegistry& registry,
                                             const Config& config,
                                             const CollectorSelection& sel,
                                             std::string* err);
  ~CollectorSet();

  /// Starts the collectors' background work. Call once.
  void Start();

  /// Runs all collectors concurrently and appends their families plus
  /// mailflow_collector_success and mailflow_collector_duration_seconds.
  /// Returns by `deadline` (plus scheduling slack).
  void Collect(Deadline deadline, std::vector<prometheus::MetricFamily>* out);
  /// As above; when `findings` is not null, also appends, per enabled
  /// collector in registry order, its status and (when it implements
  /// Diagnosable) the findings about this very collection. A collector that
  /// overran has the deadline error and no findings.
  void Collect(Deadline deadline, std::vector<prometheus::MetricFamily>* out,
               std::vector<CollectorFindings>* findings);

  /// Waits until every Diagnosable collector has its first background
  /// results (probe rounds, log backlog) or `deadline` passes. After Start().
  void WaitForResults(Deadline deadline);

  /// Names of the enabled collectors, in registry order.
  std::vector<std::string> names() const;

  struct Entry;  // opaque: one collector and its busy lock

 private:
  CollectorSet() = default;

  std::shared_ptr<CollectorContext> context_;
  std::vector<std::shared_ptr<Entry>> entries_;
};

}  // namespace mailflow
