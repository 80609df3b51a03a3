// Collector: one concern of mail flow, turned into metric families.
#pragma once

#include <prometheus/metric_family.h>

#include <string_view>
#include <vector>

#include "lib/base/deadline.h"
#include "lib/base/status.h"

namespace mailflow {

/// One collector per concern, named like its folder (listen, postfix, queue,
/// dns, smtp, firewall, log).
///
/// Thread-safety: CollectorSet never calls Collect() on one instance from two
/// threads at once, but Collect() may run while a collector's own background
/// thread (if any) works: such collectors lock their own state.
/// Construction must not start threads or touch the network (the factory also
/// runs for --config.check); background work begins in Start().
class Collector {
 public:
  virtual ~Collector() = default;

  virtual std::string_view Name() const = 0;

  /// Starts background work (probes, log following). Called once, before the
  /// first Collect(). Default: nothing.
  virtual void Start() {}

  /// Appends families to `out`; returns an error Status instead of throwing.
  /// On error the families appended so far are still exported (a partial
  /// result) and the collector's success is 0. Must return by `deadline`.
  virtual Status Collect(Deadline deadline,
                         std::vector<prometheus::MetricFamily>* out) = 0;
};

}  // namespace mailflow
