#include "collectors/log/log_diagnosis.h"

#include <gtest/gtest.h>

namespace mailflow {
namespace {

LogFacts Facts() {
  LogFacts f;
  f.source = "file";
  f.path = "/var/log/mail.log";
  f.up = true;
  f.lines = 1000;
  return f;
}

TEST(LogFindingsTest, SourceStates) {
  LogFacts f = Facts();
  f.up = false;
  f.error = "open /var/log/mail.log: Permission denied";
  std::vector<Finding> out;
  LogFindings(f, &out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0].unchecked);
  EXPECT_EQ(out[0].runbook, "LogSourceStalled");
  f = Facts();
  f.lines = 0;
  out.clear();
  LogFindings(f, &out);
  EXPECT_EQ(out[0].status, CheckStatus::kSkipped);
  EXPECT_FALSE(out[0].unchecked);
  f.lines = 5;
  out.clear();
  LogFindings(f, &out);
  EXPECT_EQ(out[0].status, CheckStatus::kOk);
  EXPECT_EQ(out[0].summary, "no delivery was greylisted by a receiver");
}

TEST(LogFindingsTest, GreylistingDelays) {
  LogFacts f = Facts();
  f.greylist_deferrals = 12;
  f.greylisted_delivered = 10;
  f.greylist_p90_seconds = 600;
  f.greylist_example = "4F2A: to=<a@b.example>, status=deferred (Greylisted)";
  std::vector<Finding> out;
  LogFindings(f, &out);
  EXPECT_EQ(out[0].status, CheckStatus::kOk);
  EXPECT_EQ(out[0].summary,
            "12 deliveries were greylisted by receivers; 90% of those "
            "delivered since arrived within 10 min");
  EXPECT_EQ(out[0].evidence[0].source, "/var/log/mail.log");
  f.greylist_p90_seconds = 3600;
  out.clear();
  LogFindings(f, &out);
  EXPECT_EQ(out[0].status, CheckStatus::kWarn);
  EXPECT_EQ(out[0].runbook, "GreylistingDelaysHigh");
}

}  // namespace
}  // namespace mailflow
