#include "collectors/log/log_stats.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

namespace mailflow::log_collector {
namespace {

using postfix::DeliveryStatus;

int T(const char* transport) {
  for (int i = 0; i < kTransportCount; ++i)
    if (std::string_view(kTransports[i]) == transport) return i;
  return -1;
}

std::string Delivery(const std::string& qid, const std::string& status,
                     double delay, const std::string& dsn,
                     const std::string& text,
                     const std::string& program = "smtp") {
  return "Nov 29 10:00:00 mx postfix/" + program + "[5]: " + qid +
         ": to=<a@b.example>, " +
         "relay=mx[192.0.2.1]:25, delay=" + std::to_string(delay) +
         ", delays=0.1/0.2/0.3/0.4, dsn=" + dsn + ", status=" + status + " (" +
         text + ")";
}

TEST(LogStatsTest, DelaysObservedOnFinalStatusesOnly) {
  LogStats s(10);
  s.AddLine(Delivery("AAAAAA1", "deferred", 1, "4.4.1",
                     "connect to mx[192.0.2.1]:25: Connection refused"));
  s.AddLine(Delivery("AAAAAA1", "sent", 100, "2.0.0", "250 ok"));
  s.AddLine(Delivery("AAAAAA2", "bounced", 2, "5.1.1",
                     "host mx[192.0.2.1] said: 550 5.1.1 User unknown"));
  EXPECT_EQ(s.deliveries[int(DeliveryStatus::kDeferred)][T("smtp")], 1u);
  EXPECT_EQ(s.deliveries[int(DeliveryStatus::kSent)][T("smtp")], 1u);
  EXPECT_EQ(s.deliveries[int(DeliveryStatus::kBounced)][T("smtp")], 1u);
  for (int k = 0; k < 4; ++k) EXPECT_EQ(s.phase_delay[k].count(), 2u);
  EXPECT_DOUBLE_EQ(s.phase_delay[2].sum(), 0.6);
  EXPECT_EQ(s.message_delay[int(DeliveryStatus::kSent)].count(), 1u);
  EXPECT_EQ(s.errors[int(DeliveryStatus::kDeferred)][T("smtp")]
                    [int(DeferReason::kConnectionRefused)],
            1u);
  EXPECT_EQ(s.errors[int(DeliveryStatus::kBounced)][T("smtp")]
                    [int(DeferReason::kOther)],
            1u);
}

TEST(LogStatsTest, GreylistDelayFromFirstDeferralToDelivery) {
  LogStats s(10);
  const std::string grey =
      "host mx[192.0.2.1] said: 450 4.2.0 <a@b.example>: Recipient address "
      "rejected: "
      "Greylisted, see http://postgrey.schweikert.ch/ (in reply to RCPT TO "
      "command)";
  s.AddLine(Delivery("BBBBBB1", "deferred", 0.5, "4.2.0", grey));
  s.AddLine(Delivery("BBBBBB1", "deferred", 300.5, "4.2.0",
                     grey));  // still greylisted
  EXPECT_EQ(s.greylist_deferrals, 2u);
  EXPECT_EQ(s.greylist_tracked(), 1u);
  s.AddLine(Delivery("BBBBBB1", "sent", 600.5, "2.0.0", "250 ok"));
  EXPECT_EQ(s.greylist_tracked(), 0u);
  EXPECT_EQ(s.greylist_delay.count(), 1u);
  EXPECT_DOUBLE_EQ(s.greylist_delay.sum(), 600);
  // 4.7.1 from a policy service counts as greylisting too.
  s.AddLine(Delivery(
      "BBBBBB2", "deferred", 1, "4.7.1",
      "host mx[192.0.2.1] said: 450 4.7.1 <a@b.example>: Recipient address "
      "rejected: Please try again later"));
  EXPECT_EQ(s.greylist_deferrals, 3u);
  // Removal without delivery forgets it without an observation.
  s.AddLine("Nov 29 10:00:00 mx postfix/qmgr[5]: BBBBBB2: removed");
  EXPECT_EQ(s.greylist_tracked(), 0u);
  EXPECT_EQ(s.greylist_delay.count(), 1u);
}

TEST(LogStatsTest, GreylistTrackingIsBoundedOldestEvicted) {
  LogStats s(3);
  const std::string grey = "host x said: 450 4.2.0 greylisted";
  for (int i = 0; i < 10; ++i) {
    s.AddLine(Delivery("CCCCC" + std::to_string(10 + i), "deferred", 1, "4.2.0",
                       grey));
  }
  EXPECT_EQ(s.greylist_tracked(), 3u);
  EXPECT_EQ(s.greylist_evictions, 7u);
  s.AddLine(
      Delivery("CCCCC10", "sent", 5, "2.0.0", "ok"));  // evicted: not observed
  s.AddLine(
      Delivery("CCCCC19", "sent", 5, "2.0.0", "ok"));  // tracked: observed
  EXPECT_EQ(s.greylist_delay.count(), 1u);
  EXPECT_DOUBLE_EQ(s.greylist_delay.sum(), 4);
  // Many finished ids do not grow the eviction queue without bound.
  for (int i = 0; i < 1000; ++i) {
    const std::string q = "DDDDD" + std::to_string(1000 + i);
    s.AddLine(Delivery(q, "deferred", 1, "4.2.0", grey));
    s.AddLine(Delivery(q, "sent", 2, "2.0.0", "ok"));
  }
  EXPECT_LE(s.greylist_tracked(), 3u);
  LogStats off(0);
  off.AddLine(Delivery("EEEEEE1", "deferred", 1, "4.2.0", grey));
  EXPECT_EQ(off.greylist_tracked(), 0u);
  EXPECT_EQ(off.greylist_deferrals, 1u);
}

TEST(LogStatsTest, UnparsedCountedByProgramWithCap) {
  LogStats s(10);
  s.AddLine("garbage");
  s.AddLine("Nov 29 10:00:00 mx postfix/smtpd[5]: something new");
  s.AddLine("Nov 29 10:00:00 mx dovecot: imap-login: x");
  EXPECT_EQ(s.lines, 3u);
  EXPECT_EQ(s.foreign, 1u);
  EXPECT_EQ(s.unparsed.at("unknown"), 1u);
  EXPECT_EQ(s.unparsed.at("smtpd"), 1u);
  for (int i = 0; i < 100; ++i) {
    s.AddLine("Nov 29 10:00:00 mx postfix/smtp[5]: QQQQQQ: odd " +
              std::to_string(i));
    s.AddLine("Nov 29 10:00:00 mx postfix/prog" + std::to_string(i) +
              "[5]: QQQQQQ: to=<x>, x");
  }
  EXPECT_LE(s.unparsed.size(), kMaxUnparsedPrograms);
}

TEST(LogStatsTest, RejectsConnectFailuresTlsAndSmtpd) {
  LogStats s(10);
  s.AddLine(
      "Nov 29 10:00:00 mx postfix/smtpd[5]: NOQUEUE: reject: RCPT from "
      "x[1.2.3.4]: 554 "
      "5.7.1 <a@b>: Relay access denied; from=<c@d> to=<a@b> proto=ESMTP "
      "helo=<x>");
  s.AddLine(
      "Nov 29 10:00:00 mx postfix/submission/smtpd[5]: connect from "
      "x[1.2.3.4]");
  s.AddLine("Nov 29 10:00:00 mx postfix/smtpd[5]: connect from x[1.2.3.4]");
  s.AddLine(
      "Nov 29 10:00:00 mx postfix/smtpd[5]: lost connection after AUTH from "
      "x[1.2.3.4]");
  s.AddLine(
      "Nov 29 10:00:00 mx postfix/smtp[5]: connect to mx[192.0.2.1]:25: No "
      "route to host");
  s.AddLine(
      "Nov 29 10:00:00 mx postfix/smtp[5]: SSL_connect error to "
      "mx[192.0.2.1]:25: -1");
  s.AddLine("Nov 29 10:00:00 mx postfix/postscreen[5]: PASS OLD [1.2.3.4]:5");
  s.AddLine("Nov 29 10:00:00 mx postfix/smtpd[5]: warning: x");
  EXPECT_EQ((s.RejectSeries().at({"smtpd", "554", "relay_denied"})), 1u);
  EXPECT_EQ(s.smtpd_connections.at("postfix"), 1u);
  EXPECT_EQ(s.smtpd_connections.at("postfix/submission"), 1u);
  EXPECT_EQ(s.smtpd_lost[4], 1u);  // AUTH
  EXPECT_EQ(s.connect_failures[int(DeferReason::kNoRoute)], 1u);
  EXPECT_EQ(s.tls_failures[0], 1u);
  EXPECT_EQ(s.postscreen[int(postfix::PostscreenEvent::kPassOld)], 1u);
  EXPECT_EQ(s.severity[int(postfix::Severity::kWarning)], 1u);
  // Reject series are capped; the overflow is one "other" series.
  for (int code = 400; code < 500; ++code) {
    s.AddLine(
        "Nov 29 10:00:00 mx postfix/smtpd[5]: NOQUEUE: reject: RCPT from "
        "x[1.2.3.4]: " +
        std::to_string(code) +
        " 4.7.1 <a@b>: Client host rejected: no; from=<c@d> "
        "to=<a@b> proto=ESMTP helo=<x>");
  }
  s.AddLine(
      "Nov 29 10:00:00 mx postfix/cleanup[5]: 3F1A21E0012: reject: body spam "
      "from "
      "x[1.2.3.4]; from=<c@d> to=<a@b> proto=ESMTP helo=<x>: 5.7.1 no spam");
  const auto series = s.RejectSeries();
  EXPECT_LE(series.size(), kMaxRejectSeries);
  EXPECT_EQ((series.at({"other", "other", "other"})),
            100u - (kMaxRejectSeries - 2) + 1);
  EXPECT_EQ((series.at({"smtpd", "400", "client_rejected"})), 1u);
}

// The corpus captured from a real Postfix 3.7 by test_log_postfix.py
// (MAILFLOW_SAVE_LOG_CORPUS): the scenario's golden counts.
TEST(LogStatsTest, RealPostfixCorpusGoldenCounts) {
  const char* src = getenv("MAILFLOW_SOURCE_DIR");
  ASSERT_NE(src, nullptr);
  std::ifstream in(std::string(src) +
                   "/tests/fixtures/log/postfix-3.7-real.log");
  ASSERT_TRUE(in.good());
  LogStats s(100);
  std::string line;
  while (std::getline(in, line)) s.AddLine(line);
  EXPECT_TRUE(s.unparsed.empty());
  EXPECT_EQ(s.foreign, 0u);
  EXPECT_EQ(s.deliveries[int(DeliveryStatus::kSent)][T("smtp")], 6u);
  EXPECT_EQ(s.deliveries[int(DeliveryStatus::kDeferred)][T("smtp")], 5u);
  EXPECT_EQ(s.deliveries[int(DeliveryStatus::kBounced)][T("smtp")], 1u);
  EXPECT_EQ(s.deliveries[int(DeliveryStatus::kBounced)][T("error")], 1u);
  const int d = int(DeliveryStatus::kDeferred);
  const int smtp = T("smtp");
  EXPECT_EQ(s.errors[d][smtp][int(DeferReason::kConnectionRefused)], 2u);
  EXPECT_EQ(s.errors[d][smtp][int(DeferReason::kConnectionTimedOut)], 1u);
  EXPECT_EQ(s.errors[d][smtp][int(DeferReason::kHostNotFound)], 1u);
  EXPECT_EQ(s.errors[d][smtp][int(DeferReason::kGreylisted)], 1u);
  EXPECT_EQ(s.connect_failures[int(DeferReason::kConnectionRefused)], 2u);
  EXPECT_EQ(s.connect_failures[int(DeferReason::kConnectionTimedOut)], 1u);
  // 8 messages + 1 rejected session + 1 readiness probe on each port.
  EXPECT_EQ(s.smtpd_connections.at("postfix"), 10u);
  EXPECT_EQ(s.smtpd_connections.at("postfix/submission"), 2u);
  EXPECT_EQ(s.smtpd_lost[0], 2u);  // the probes: lost connection after CONNECT
  EXPECT_EQ((s.RejectSeries().at({"smtpd", "554", "recipient_rejected"})), 1u);
  EXPECT_EQ(s.greylist_deferrals, 1u);
  EXPECT_EQ(s.greylist_delay.count(), 1u);
  EXPECT_EQ(s.messages_removed, 8u);
  EXPECT_EQ(s.phase_delay[0].count(), 8u);
}

}  // namespace
}  // namespace mailflow::log_collector
