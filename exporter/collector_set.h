// CollectorSet: the enabled collectors of one configuration, each on a
// persistent worker thread, collected on demand and shared between the
// scrapes that ask at the same time.
#pragma once

#include <prometheus/metric_family.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "collectors/finding.h"
#include "collectors/registry.h"
#include "config/config.h"
#include "exporter/metrics_text.h"
#include "lib/base/deadline.h"

namespace mailflow {

/// Command-line choices that override the config's `enabled` keys.
struct CollectorSelection {
  /// --collector.NAME (true) / --no-collector.NAME (false).
  std::map<std::string, bool> flags;
  /// --collector.disable-defaults: only explicitly enabled collectors run.
  bool disable_defaults = false;
};

/// What one Collect() call gathered.
struct CollectedScrape {
  /// One entry per collector, in registry order, then
  /// mailflow_collector_success and mailflow_collector_duration_seconds.
  /// Shared with the other scrapes served by the same collections.
  std::vector<std::shared_ptr<const FamilyTexts>> parts;
  /// CPU time of the collector threads in the collections started for this
  /// call or joined by it (the commands they ran are not included).
  double cpu_seconds = 0;
};

/// Owns the collectors built from one Config. Each collector has a worker
/// thread of its own, started by Start(), that runs one collection at a time.
/// Collect() is thread-safe: it asks every worker for a collection that
/// starts after the call (never an older result), and calls that arrive
/// while a collection runs share the next one (single flight). A collector
/// that overruns the deadline keeps running on its worker after Collect()
/// returned; its result still serves the scrapes waiting for it, and the
/// worker (with the collector) outlives the set until it finishes.
class CollectorSet {
 public:
  /// Builds every enabled collector. Fails with a "FILE:LINE:COL: message"
  /// error on an unknown collector name in the config, an unknown flag name,
  /// or a collector rejecting its options. Starts no thread.
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
  /// Stops the workers: idle ones are joined, busy ones finish their
  /// collection on their own.
  ~CollectorSet();

  /// Starts the collectors' background work and the workers. Call once.
  void Start();

  /// Collects every collector and serializes their families, plus
  /// mailflow_collector_success and mailflow_collector_duration_seconds.
  /// Returns by `deadline` (plus scheduling slack); a collector not done by
  /// then counts as failed. REQUIRES: Start() was called.
  CollectedScrape Collect(Deadline deadline);

  /// As Collect(), for diagnose: per enabled collector in registry order,
  /// its status and (when it implements Diagnosable) its findings about
  /// this very collection (taken on its worker right after it). A collector
  /// that overran has the deadline error and no findings. Thread-safe.
  std::vector<CollectorFindings> CollectFindings(Deadline deadline);

  /// Waits until every Diagnosable collector has its first background
  /// results (probe rounds, log backlog) or `deadline` passes. After Start().
  void WaitForResults(Deadline deadline);

  /// Names of the enabled collectors, in registry order.
  std::vector<std::string> names() const;

  /// Collect() calls waiting for the next collection of collector `name`
  /// (not started yet). For tests.
  int queued(const std::string& name) const;

  struct Board;  // opaque: the lock and signals shared with the workers
  struct Entry;  // opaque: one collector and its worker

 private:
  CollectorSet() = default;

  // What Fly() found of one collector's collection.
  struct Outcome {
    Status status;
    double seconds = 0;
    double cpu_seconds = 0;
    std::shared_ptr<const FamilyTexts> texts;  // null: not done in time
    std::vector<Finding> findings;
  };
  // Asks every worker for a collection that starts after the call (with
  // findings when asked) and waits for them until `deadline`.
  std::vector<Outcome> Fly(Deadline deadline, bool with_findings);

  std::shared_ptr<CollectorContext> context_;
  std::shared_ptr<Board> board_;
  std::vector<std::shared_ptr<Entry>> entries_;
};

}  // namespace mailflow
