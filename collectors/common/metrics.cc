#include "collectors/common/metrics.h"

#include <algorithm>

namespace mailflow {

FamilyBuilder::FamilyBuilder(std::vector<prometheus::MetricFamily>* out,
                             std::string name, std::string help,
                             prometheus::MetricType type)
    : out_(out), index_(out->size()) {
  prometheus::MetricFamily f;
  f.name = std::move(name);
  f.help = std::move(help);
  f.type = type;
  out_->push_back(std::move(f));
}

prometheus::MetricFamily& FamilyBuilder::family() { return (*out_)[index_]; }

FamilyBuilder& FamilyBuilder::Add(const Labels& labels, double value) {
  prometheus::ClientMetric m;
  m.label.reserve(labels.size());
  for (const auto& [k, v] : labels) m.label.push_back({k, v});
  switch (family().type) {
    case prometheus::MetricType::Counter:
      m.counter.value = value;
      break;
    case prometheus::MetricType::Gauge:
      m.gauge.value = value;
      break;
    default:
      m.untyped.value = value;
      break;
  }
  family().metric.push_back(std::move(m));
  return *this;
}

FamilyBuilder& FamilyBuilder::AddHistogram(const Labels& labels,
                                           const CumulativeHistogram& h) {
  prometheus::ClientMetric m;
  m.label.reserve(labels.size());
  for (const auto& [k, v] : labels) m.label.push_back({k, v});
  m.histogram.bucket.reserve(h.upper_bounds().size());
  m.histogram.sample_count = h.count();
  m.histogram.sample_sum = h.sum();
  uint64_t cumulative = 0;
  for (size_t i = 0; i < h.upper_bounds().size(); ++i) {
    cumulative += h.bucket_counts()[i];
    m.histogram.bucket.push_back({cumulative, h.upper_bounds()[i]});
  }
  family().metric.push_back(std::move(m));
  return *this;
}

void AddHistogramFamily(std::vector<prometheus::MetricFamily>* out,
                        std::string name, std::string help,
                        const std::vector<HistogramSeries>& series) {
  FamilyBuilder f(out, std::move(name), std::move(help),
                  prometheus::MetricType::Histogram);
  for (const auto& s : series) f.AddHistogram(s.labels, *s.histogram);
}

void AddGauge(std::vector<prometheus::MetricFamily>* out, std::string name,
              std::string help, double value) {
  FamilyBuilder(out, std::move(name), std::move(help),
                prometheus::MetricType::Gauge)
      .Add({}, value);
}

void AppendWithLabel(std::vector<prometheus::MetricFamily> part,
                     const std::string& name, const std::string& value,
                     std::vector<prometheus::MetricFamily>* out) {
  for (prometheus::MetricFamily& f : part) {
    for (prometheus::ClientMetric& m : f.metric) {
      m.label.insert(m.label.begin(),
                     prometheus::ClientMetric::Label{name, value});
    }
    auto same = std::find_if(out->begin(), out->end(),
                             [&](const auto& o) { return o.name == f.name; });
    if (same == out->end()) {
      out->push_back(std::move(f));
    } else {
      for (auto& m : f.metric) same->metric.push_back(std::move(m));
    }
  }
}

namespace {
bool IsNameChar(char c, bool first, bool allow_colon) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_') return true;
  if (allow_colon && c == ':') return true;
  return !first && c >= '0' && c <= '9';
}
bool IsValidName(const std::string& name, bool allow_colon) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    if (!IsNameChar(name[i], i == 0, allow_colon)) return false;
  }
  return true;
}
}  // namespace

bool IsValidMetricName(const std::string& name) {
  return IsValidName(name, true);
}

bool IsValidLabelName(const std::string& name) {
  return IsValidName(name, false) && name.rfind("__", 0) != 0;
}

}  // namespace mailflow
