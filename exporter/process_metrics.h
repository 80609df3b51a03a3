// Standard process_* metrics of the exporter itself, from /proc/self.
#pragma once

#include <prometheus/metric_family.h>

#include <vector>

namespace mailflow {

/// Appends process_cpu_seconds_total, process_resident_memory_bytes,
/// process_virtual_memory_bytes, process_start_time_seconds,
/// process_open_fds and process_max_fds. Families whose source cannot be
/// read are left out. Thread-safe.
void AppendProcessMetrics(std::vector<prometheus::MetricFamily>* out);

}  // namespace mailflow
