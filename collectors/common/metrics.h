// Helpers that turn collector results into prometheus::MetricFamily values.
// Only collectors and the exporter include this; parsers never do.
#pragma once

#include <prometheus/metric_family.h>

#include <string>
#include <utility>
#include <vector>

#include "lib/base/histogram.h"

namespace mailflow {

using Labels = std::vector<std::pair<std::string, std::string>>;

/// Builds one metric family and appends it to `out` on destruction-free
/// calls. Usage:
///   FamilyBuilder f(out, "mailflow_x", "Help.",
///                   prometheus::MetricType::Gauge);
///   f.Add({{"port", "25"}}, 1);
/// Not thread-safe; the builder must not outlive `out`.
class FamilyBuilder {
 public:
  FamilyBuilder(std::vector<prometheus::MetricFamily>* out, std::string name,
                std::string help, prometheus::MetricType type);

  /// Adds a gauge, counter or untyped sample, depending on the family type.
  FamilyBuilder& Add(const Labels& labels, double value);
  /// Adds a histogram sample. REQUIRES: family type is Histogram.
  FamilyBuilder& AddHistogram(const Labels& labels,
                              const CumulativeHistogram& h);

 private:
  prometheus::MetricFamily& family();

  std::vector<prometheus::MetricFamily>* out_;
  size_t index_;
};

/// One series of a histogram family: its labels and its observations.
struct HistogramSeries {
  Labels labels;
  const CumulativeHistogram* histogram;  // not owned
};

/// Adds a histogram family with one sample per entry of `series`, in order
/// (a FamilyBuilder of type Histogram and AddHistogram for each). A family
/// without series is still added; the exporter drops empty families.
void AddHistogramFamily(std::vector<prometheus::MetricFamily>* out,
                        std::string name, std::string help,
                        const std::vector<HistogramSeries>& series);

/// Shorthand for a single unlabelled gauge.
void AddGauge(std::vector<prometheus::MetricFamily>* out, std::string name,
              std::string help, double value);

/// Returns true when `name` is a valid metric or label name for the
/// Prometheus text format (used by tests: custom families skip checks).
bool IsValidMetricName(const std::string& name);
bool IsValidLabelName(const std::string& name);

}  // namespace mailflow
