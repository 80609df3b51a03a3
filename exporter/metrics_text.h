// MetricsText: metric families in the Prometheus text format, serialized once
// and then shared between scrapes.
#pragma once

#include <prometheus/metric_family.h>

#include <memory>
#include <string>
#include <vector>

namespace mailflow {

/// One metric family in the text exposition format 0.0.4: its HELP and TYPE
/// lines and its samples.
struct FamilyText {
  std::string name;
  std::string text;
};

/// The families of one source (a collector, the exporter itself), sorted by
/// name. Immutable once built: shared read-only between threads.
using FamilyTexts = std::vector<FamilyText>;

/// Appends `family` to `out` exactly as prometheus-cpp 1.0's TextSerializer
/// writes it (values with "%.16g", "Nan", "+Inf"/"-Inf", label values
/// escaped, HELP as is), without iostreams. Thread-safe (no shared state).
void AppendFamilyText(const prometheus::MetricFamily& family, std::string* out);

/// Drops families without samples, sorts samples by their labels and
/// families by name (both stable), and serializes each family.
FamilyTexts ToFamilyTexts(std::vector<prometheus::MetricFamily> families);

/// Whether serializing `a` and `b` gives the same text. NaN values never
/// compare equal (the caller then serializes again, which is correct).
bool SameFamilies(const std::vector<prometheus::MetricFamily>& a,
                  const std::vector<prometheus::MetricFamily>& b);

/// The exposition body: the families of all `parts` merged by name (a stable
/// merge: equal names keep the order of `parts`). Null parts are skipped.
std::string JoinFamilyTexts(const std::vector<const FamilyTexts*>& parts);

}  // namespace mailflow
