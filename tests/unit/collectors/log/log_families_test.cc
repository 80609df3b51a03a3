#include "collectors/log/log_families.h"

#include <gtest/gtest.h>

#include <set>

#include "collectors/common/metrics.h"

namespace mailflow::log_collector {
namespace {

TEST(LogFamiliesTest, NamesAndLabelsAreValidAndDocumentedPrefix) {
  LogStats s(10);
  s.AddLine(
      "Nov 29 10:00:00 mx postfix/smtpd[5]: NOQUEUE: reject: RCPT from "
      "x[1.2.3.4]: 554 "
      "5.7.1 <a@b>: Relay access denied; from=<c@d> to=<a@b> proto=ESMTP "
      "helo=<x>");
  s.AddLine("garbage");
  SourceState src;
  src.source = "file";
  src.is_file = true;
  src.up = true;
  std::vector<prometheus::MetricFamily> out;
  AppendLogSourceFamilies({&s}, src, &out);
  AppendLogInstanceFamilies(s, &out);
  std::set<std::string> names;
  for (const auto& f : out) {
    EXPECT_TRUE(IsValidMetricName(f.name)) << f.name;
    EXPECT_EQ(f.name.rfind("mailflow_log_", 0), 0u) << f.name;
    EXPECT_FALSE(f.help.empty()) << f.name;
    EXPECT_TRUE(names.insert(f.name).second) << "duplicate " << f.name;
    if (f.type == prometheus::MetricType::Counter) {
      EXPECT_TRUE(f.name.ends_with("_total")) << f.name;
    }
    EXPECT_FALSE(f.metric.empty()) << f.name << " has no series";
    for (const auto& m : f.metric)
      for (const auto& l : m.label)
        EXPECT_TRUE(IsValidLabelName(l.name)) << l.name;
  }
  EXPECT_TRUE(names.count("mailflow_log_deliveries_total"));
  EXPECT_TRUE(names.count("mailflow_log_file_position_bytes"));
}

}  // namespace
}  // namespace mailflow::log_collector
