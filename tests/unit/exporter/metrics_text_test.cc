#include "exporter/metrics_text.h"

#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

namespace mailflow {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

std::string Reference(const MetricFamily& f) {
  return prometheus::TextSerializer().Serialize({f});
}

std::string Ours(const MetricFamily& f) {
  std::string s;
  AppendFamilyText(f, &s);
  return s;
}

const double kAwkward[] = {0,
                           -0.0,
                           1,
                           -1,
                           0.1 + 0.2,
                           1.0 / 3,
                           1e21,
                           1e-7,
                           123456789012345678.0,
                           4.940656458412465e-324,
                           std::numeric_limits<double>::max(),
                           std::numeric_limits<double>::quiet_NaN(),
                           std::numeric_limits<double>::infinity(),
                           -std::numeric_limits<double>::infinity(),
                           1700000000.123456,
                           0.000412};

MetricFamily Family(MetricType type) {
  MetricFamily f;
  f.name = "mailflow_test_family";
  f.help = "Help with \\ backslash and \"quotes\".";
  f.type = type;
  return f;
}

TEST(MetricsTextTest, ScalarFamiliesMatchPrometheusCpp) {
  for (MetricType type :
       {MetricType::Counter, MetricType::Gauge, MetricType::Untyped}) {
    MetricFamily f = Family(type);
    for (double v : kAwkward) {
      ClientMetric m;
      m.label = {{"a", "x\"y\\z\nw"}, {"b", ""}};
      m.counter.value = m.gauge.value = m.untyped.value = v;
      f.metric.push_back(m);
    }
    ClientMetric bare;  // no labels, a timestamp
    bare.gauge.value = bare.counter.value = bare.untyped.value = 7;
    bare.timestamp_ms = 1700000000123;
    f.metric.push_back(bare);
    EXPECT_EQ(Ours(f), Reference(f));
  }
}

TEST(MetricsTextTest, HistogramsAndSummariesMatchPrometheusCpp) {
  MetricFamily h = Family(MetricType::Histogram);
  ClientMetric m;
  m.label = {{"queue", "deferred"}};
  m.histogram.sample_count = 12;
  m.histogram.sample_sum = 0.1 + 0.2;
  m.histogram.bucket = {{1, 0.005}, {5, 300}, {12, 432000}};
  h.metric.push_back(m);
  ClientMetric with_inf;  // an explicit +Inf bucket is not repeated
  with_inf.histogram.sample_count = 3;
  with_inf.histogram.bucket = {{1, 1},
                               {3, std::numeric_limits<double>::infinity()}};
  h.metric.push_back(with_inf);
  EXPECT_EQ(Ours(h), Reference(h));

  MetricFamily s = Family(MetricType::Summary);
  ClientMetric q;
  q.label = {{"x", "1"}};
  q.summary.sample_count = 4;
  q.summary.sample_sum = 1.5;
  q.summary.quantile = {{0.5, 0.25}, {0.99, 1e-9}};
  s.metric.push_back(q);
  EXPECT_EQ(Ours(s), Reference(s));
}

TEST(MetricsTextTest, RandomValuesMatchPrometheusCpp) {
  std::mt19937_64 rng(14);
  std::uniform_int_distribution<uint64_t> bits;
  MetricFamily f = Family(MetricType::Gauge);
  f.help.clear();  // no HELP line
  for (int i = 0; i < 5000; ++i) {
    ClientMetric m;
    uint64_t b = bits(rng);
    double v;
    std::memcpy(&v, &b, sizeof(v));
    m.gauge.value = i % 2 ? v : static_cast<double>(b % 100000) / 1000;
    f.metric.push_back(m);
  }
  EXPECT_EQ(Ours(f), Reference(f));
}

TEST(MetricsTextTest, ToFamilyTextsSortsAndDropsEmptyFamilies) {
  std::vector<MetricFamily> fams;
  for (const char* name : {"b_family", "a_family", "c_empty"}) {
    MetricFamily f = Family(MetricType::Gauge);
    f.name = name;
    fams.push_back(f);
  }
  for (const char* port : {"587", "25", "465"}) {
    ClientMetric m;
    m.label = {{"port", port}};
    fams[0].metric.push_back(m);
    fams[1].metric.push_back(m);
  }
  FamilyTexts texts = ToFamilyTexts(fams);
  ASSERT_EQ(texts.size(), 2u);
  EXPECT_EQ(texts[0].name, "a_family");
  EXPECT_EQ(texts[1].name, "b_family");
  EXPECT_EQ(texts[1].text,
            "# HELP b_family Help with \\ backslash and \"quotes\".\n"
            "# TYPE b_family gauge\nb_family{port=\"25\"} 0\n"
            "b_family{port=\"465\"} 0\nb_family{port=\"587\"} 0\n");
}

TEST(MetricsTextTest, JoinMergesPartsByName) {
  FamilyTexts a = {{"a", "A\n"}, {"m", "M1\n"}, {"z", "Z\n"}};
  FamilyTexts b = {{"b", "B\n"}, {"m", "M2\n"}};
  EXPECT_EQ(JoinFamilyTexts({&a, nullptr, &b}), "A\nB\nM1\nM2\nZ\n");
  EXPECT_EQ(JoinFamilyTexts({}), "");
}

TEST(MetricsTextTest, SameFamiliesComparesWhatIsSerialized) {
  MetricFamily f = Family(MetricType::Histogram);
  ClientMetric m;
  m.histogram.bucket = {{1, 0.5}};
  f.metric.push_back(m);
  std::vector<MetricFamily> a = {f}, b = {f};
  EXPECT_TRUE(SameFamilies(a, b));
  b[0].metric[0].histogram.bucket[0].cumulative_count = 2;
  EXPECT_FALSE(SameFamilies(a, b));
  b = a;
  b[0].help = "other";
  EXPECT_FALSE(SameFamilies(a, b));
  b = a;
  b[0].metric[0].label = {{"x", "y"}};
  EXPECT_FALSE(SameFamilies(a, b));
  MetricFamily g = Family(MetricType::Gauge);
  ClientMetric nan;
  nan.gauge.value = std::numeric_limits<double>::quiet_NaN();
  g.metric.push_back(nan);
  EXPECT_FALSE(SameFamilies({g}, {g}));  // serialized again: still right
  EXPECT_FALSE(SameFamilies(a, {}));
}

}  // namespace
}  // namespace mailflow
