// Standard process_* metrics of the exporter itself, from /proc/self, and
// the CPU accounting of collections.
#pragma once

#include <prometheus/metric_family.h>

#include <vector>

namespace mailflow {

/// Appends process_cpu_seconds_total, process_resident_memory_bytes,
/// process_virtual_memory_bytes, process_start_time_seconds,
/// process_open_fds and process_max_fds. Families whose source cannot be
/// read are left out. Thread-safe.
void AppendProcessMetrics(std::vector<prometheus::MetricFamily>* out);

/// CPU seconds of the calling thread (CLOCK_THREAD_CPUTIME_ID).
double ThreadCpuSeconds();
/// CPU seconds of the children the process has reaped (RUSAGE_CHILDREN,
/// process-wide). The difference of two calls around a piece of work counts
/// the commands it ran, and also children another thread reaped meanwhile
/// (an overestimate).
double ReapedChildrenCpuSeconds();

}  // namespace mailflow
