#include "exporter/metrics_text.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

namespace mailflow {

namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

// "%.16g" (max_digits10 - 1), as prometheus-cpp 1.0 prints doubles.
void AppendDouble(double v, std::string* out) {
  if (std::isnan(v)) {
    *out += "Nan";
  } else if (std::isinf(v)) {
    *out += v < 0 ? "-Inf" : "+Inf";
  } else {
    char buf[64];
    auto r =
        std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::general,
                      std::numeric_limits<double>::max_digits10 - 1);
    out->append(buf, r.ptr);
  }
}

template <typename Int>
void AppendInt(Int v, std::string* out) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out->append(buf, r.ptr);
}

void AppendEscaped(const std::string& s, std::string* out) {
  for (char c : s) {
    if (c == '\n') {
      *out += "\\n";
    } else {
      if (c == '\\' || c == '"') *out += '\\';
      *out += c;
    }
  }
}

// `name{labels,extra="..."} ` with the extra label's value already text.
void AppendHead(const MetricFamily& f, const ClientMetric& m,
                const char* suffix, const char* extra_name,
                const std::string& extra_value, std::string* out) {
  *out += f.name;
  *out += suffix;
  if (!m.label.empty() || extra_name) {
    *out += '{';
    const char* sep = "";
    for (const auto& l : m.label) {
      *out += sep;
      *out += l.name;
      *out += "=\"";
      AppendEscaped(l.value, out);
      *out += '"';
      sep = ",";
    }
    if (extra_name) {
      *out += sep;
      *out += extra_name;
      *out += "=\"";
      AppendEscaped(extra_value, out);
      *out += '"';
    }
    *out += '}';
  }
  *out += ' ';
}

void AppendTail(const ClientMetric& m, std::string* out) {
  if (m.timestamp_ms != 0) {
    *out += ' ';
    AppendInt(m.timestamp_ms, out);
  }
  *out += '\n';
}

std::string DoubleText(double v) {
  std::string s;
  AppendDouble(v, &s);
  return s;
}

void AppendSample(const MetricFamily& f, const ClientMetric& m,
                  std::string* out) {
  static const std::string kNone;
  auto line = [&](const char* suffix, const char* extra_name,
                  const std::string& extra_value) {
    AppendHead(f, m, suffix, extra_name, extra_value, out);
  };
  switch (f.type) {
    case MetricType::Counter:
    case MetricType::Gauge:
    case MetricType::Untyped:
      line("", nullptr, kNone);
      AppendDouble(f.type == MetricType::Counter ? m.counter.value
                   : f.type == MetricType::Gauge ? m.gauge.value
                                                 : m.untyped.value,
                   out);
      AppendTail(m, out);
      break;
    case MetricType::Summary:
    case MetricType::Histogram: {
      const bool hist = f.type == MetricType::Histogram;
      line("_count", nullptr, kNone);
      AppendInt(hist ? m.histogram.sample_count : m.summary.sample_count, out);
      AppendTail(m, out);
      line("_sum", nullptr, kNone);
      AppendDouble(hist ? m.histogram.sample_sum : m.summary.sample_sum, out);
      AppendTail(m, out);
      if (!hist) {
        for (const auto& q : m.summary.quantile) {
          line("", "quantile", DoubleText(q.quantile));
          AppendDouble(q.value, out);
          AppendTail(m, out);
        }
        break;
      }
      double last = -std::numeric_limits<double>::infinity();
      for (const auto& b : m.histogram.bucket) {
        line("_bucket", "le", DoubleText(b.upper_bound));
        last = b.upper_bound;
        AppendInt(b.cumulative_count, out);
        AppendTail(m, out);
      }
      if (last != std::numeric_limits<double>::infinity()) {
        line("_bucket", "le", "+Inf");
        AppendInt(m.histogram.sample_count, out);
        AppendTail(m, out);
      }
      break;
    }
    default:
      break;
  }
}

const char* TypeName(MetricType t) {
  switch (t) {
    case MetricType::Counter:
      return "counter";
    case MetricType::Gauge:
      return "gauge";
    case MetricType::Summary:
      return "summary";
    case MetricType::Histogram:
      return "histogram";
    case MetricType::Untyped:
      return "untyped";
    default:
      return nullptr;
  }
}

bool SameSample(MetricType type, const ClientMetric& a, const ClientMetric& b) {
  if (a.label != b.label || a.timestamp_ms != b.timestamp_ms) return false;
  switch (type) {
    case MetricType::Counter:
      return a.counter.value == b.counter.value;
    case MetricType::Gauge:
      return a.gauge.value == b.gauge.value;
    case MetricType::Untyped:
      return a.untyped.value == b.untyped.value;
    case MetricType::Histogram: {
      const auto &x = a.histogram, &y = b.histogram;
      if (x.sample_count != y.sample_count || x.sample_sum != y.sample_sum ||
          x.bucket.size() != y.bucket.size()) {
        return false;
      }
      for (size_t i = 0; i < x.bucket.size(); ++i) {
        if (x.bucket[i].cumulative_count != y.bucket[i].cumulative_count ||
            x.bucket[i].upper_bound != y.bucket[i].upper_bound) {
          return false;
        }
      }
      return true;
    }
    case MetricType::Summary: {
      const auto &x = a.summary, &y = b.summary;
      if (x.sample_count != y.sample_count || x.sample_sum != y.sample_sum ||
          x.quantile.size() != y.quantile.size()) {
        return false;
      }
      for (size_t i = 0; i < x.quantile.size(); ++i) {
        if (x.quantile[i].quantile != y.quantile[i].quantile ||
            x.quantile[i].value != y.quantile[i].value) {
          return false;
        }
      }
      return true;
    }
    default:
      return false;
  }
}

}  // namespace

void AppendFamilyText(const MetricFamily& family, std::string* out) {
  if (!family.help.empty()) {
    *out += "# HELP ";
    *out += family.name;
    *out += ' ';
    *out += family.help;
    *out += '\n';
  }
  const char* type = TypeName(family.type);
  if (!type) return;
  *out += "# TYPE ";
  *out += family.name;
  *out += ' ';
  *out += type;
  *out += '\n';
  for (const auto& m : family.metric) AppendSample(family, m, out);
}

FamilyTexts ToFamilyTexts(std::vector<MetricFamily> families) {
  std::erase_if(families, [](const auto& f) { return f.metric.empty(); });
  std::stable_sort(
      families.begin(), families.end(),
      [](const auto& a, const auto& b) { return a.name < b.name; });
  FamilyTexts texts;
  texts.reserve(families.size());
  for (auto& f : families) {
    std::stable_sort(
        f.metric.begin(), f.metric.end(),
        [](const auto& a, const auto& b) { return a.label < b.label; });
    FamilyText t;
    t.name = f.name;
    AppendFamilyText(f, &t.text);
    texts.push_back(std::move(t));
  }
  return texts;
}

bool SameFamilies(const std::vector<MetricFamily>& a,
                  const std::vector<MetricFamily>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const MetricFamily &x = a[i], &y = b[i];
    if (x.name != y.name || x.help != y.help || x.type != y.type ||
        x.metric.size() != y.metric.size()) {
      return false;
    }
    for (size_t j = 0; j < x.metric.size(); ++j) {
      if (!SameSample(x.type, x.metric[j], y.metric[j])) return false;
    }
  }
  return true;
}

std::string JoinFamilyTexts(const std::vector<const FamilyTexts*>& parts) {
  std::vector<const FamilyText*> all;
  size_t bytes = 0;
  for (const FamilyTexts* p : parts) {
    if (!p) continue;
    for (const FamilyText& t : *p) {
      all.push_back(&t);
      bytes += t.text.size();
    }
  }
  std::stable_sort(all.begin(), all.end(),
                   [](const FamilyText* a, const FamilyText* b) {
                     return a->name < b->name;
                   });
  std::string body;
  body.reserve(bytes);
  for (const FamilyText* t : all) body += t->text;
  return body;
}

}  // namespace mailflow
