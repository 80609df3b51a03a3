#include "collectors/smtp/smtp_diagnosis.h"

#include <gtest/gtest.h>

namespace mailflow {
namespace {

SmtpFacts::Probe Probe(const char* direction, const char* target, int port,
                       ProbeResult r, const char* detail = "") {
  return {direction, target, port, true, r, false, detail};
}

TEST(SmtpFindingsTest, NotConfiguredOrNoRoundYet) {
  SmtpFacts f;
  std::vector<Finding> out;
  SmtpFindings(f, &out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].status, CheckStatus::kSkipped);
  EXPECT_FALSE(out[0].unchecked);
  f.configured = true;
  out.clear();
  SmtpFindings(f, &out);
  EXPECT_TRUE(out[0].unchecked);
}

TEST(SmtpFindingsTest, Port25Blocked) {
  SmtpFacts f;
  f.configured = true;
  f.last_run = 1;
  f.port25_known = f.port25_blocked = true;
  f.probes = {
      Probe("outbound", "192.0.2.10", 25, ProbeResult::kTimeout,
            "connect: timed out after 5s"),
      Probe("control", "192.0.2.10", 587, ProbeResult::kOk),
  };
  std::vector<Finding> out;
  SmtpFindings(f, &out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].status, CheckStatus::kFail);
  EXPECT_EQ(out[0].runbook, "OutboundPort25Blocked");
  ASSERT_EQ(out[0].evidence.size(), 2u);
  EXPECT_EQ(out[0].evidence[0].text,
            "192.0.2.10:25: timeout (connect: timed out after 5s)");
  EXPECT_EQ(out[0].evidence[1].source, "smtp probe, control");
  EXPECT_EQ(out[0].apply, "postfix reload && postqueue -f");
  EXPECT_EQ(out[1].status, CheckStatus::kWarn);  // the target itself
  EXPECT_EQ(out[1].runbook, "OutboundSMTPFailing");
}

TEST(SmtpFindingsTest, RelayhostAndSelfProbe) {
  SmtpFacts f;
  f.configured = true;
  f.last_run = 1;
  f.probes = {Probe("relayhost", "192.0.2.7", 587, ProbeResult::kRefused),
              Probe("inbound", "2001:db8::5", 25, ProbeResult::kOk)};
  f.probes[1].starttls_offered = true;
  std::vector<Finding> out;
  SmtpFindings(f, &out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].step, Step::kOutbound);
  EXPECT_EQ(out[0].status, CheckStatus::kFail);
  EXPECT_EQ(out[0].runbook, "RelayhostUnreachable");
  EXPECT_EQ(out[1].step, Step::kListening);
  EXPECT_EQ(out[1].subject, "[2001:db8::5]:25");
  EXPECT_EQ(out[1].summary,
            "this host's [2001:db8::5]:25: greets, answers EHLO, offers "
            "STARTTLS");
}

}  // namespace
}  // namespace mailflow
