#include "collectors/common/metrics.h"

#include <gtest/gtest.h>

namespace mailflow {
namespace {

std::vector<prometheus::MetricFamily> Part(double up, double services) {
  std::vector<prometheus::MetricFamily> part;
  AddGauge(&part, "mailflow_postfix_up", "Up.", up);
  FamilyBuilder(&part, "mailflow_postfix_service_enabled", "Enabled.",
                prometheus::MetricType::Gauge)
      .Add({{"port", "25"}}, services);
  return part;
}

TEST(AppendWithLabelTest, OneFamilyPerNameWithTheLabelFirst) {
  std::vector<prometheus::MetricFamily> out;
  AddGauge(&out, "mailflow_other", "Other.", 7);
  AppendWithLabel(Part(1, 1), kPostfixInstanceLabel, "postfix", &out);
  AppendWithLabel(Part(0, 0), kPostfixInstanceLabel, "postfix-out", &out);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].name, "mailflow_other");
  EXPECT_TRUE(out[0].metric[0].label.empty());
  const auto& up = out[1];
  EXPECT_EQ(up.name, "mailflow_postfix_up");
  ASSERT_EQ(up.metric.size(), 2u);
  EXPECT_EQ(up.metric[0].label[0].name, "postfix_instance");
  EXPECT_EQ(up.metric[0].label[0].value, "postfix");
  EXPECT_EQ(up.metric[0].gauge.value, 1);
  EXPECT_EQ(up.metric[1].label[0].value, "postfix-out");
  EXPECT_EQ(up.metric[1].gauge.value, 0);
  const auto& services = out[2];
  ASSERT_EQ(services.metric.size(), 2u);
  ASSERT_EQ(services.metric[1].label.size(), 2u);
  EXPECT_EQ(services.metric[1].label[0].value, "postfix-out");
  EXPECT_EQ(services.metric[1].label[1].name, "port");
}

}  // namespace
}  // namespace mailflow
