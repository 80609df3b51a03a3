#include "collectors/queue/queue_diagnosis.h"

#include <gtest/gtest.h>

namespace mailflow {
namespace {

QueueFacts Deferred(uint64_t refused, uint64_t other, double oldest) {
  QueueFacts f;
  f.config_directory = "/etc/postfix";
  f.queue_directory = "/var/spool/postfix";
  for (auto& q : f.scan.queues) q.readable = true;
  auto& d = f.scan.queues[static_cast<int>(QueueName::kDeferred)];
  d.messages = refused + other;
  d.oldest_age = oldest;
  f.scan.deferred_reasons[static_cast<int>(DeferReason::kConnectionRefused)] =
      refused;
  f.scan.deferred_reasons[static_cast<int>(DeferReason::kOther)] = other;
  f.scan.samples[static_cast<int>(DeferReason::kConnectionRefused)] = {
      "4F2A1B2C3D", "a@b.example", "4.4.1",
      "connect to mx.b.example[192.0.2.1]:25: Connection refused"};
  f.scan.domains = {{"b.example", refused}};
  return f;
}

const Finding& Only(const std::vector<Finding>& v, Step step) {
  const Finding* found = nullptr;
  for (const auto& f : v) {
    if (f.step != step) continue;
    EXPECT_EQ(found, nullptr) << f.summary;
    found = &f;
  }
  EXPECT_NE(found, nullptr);
  return *found;
}

TEST(QueueFindingsTest, BelowTheFloorIsANote) {
  std::vector<Finding> out;
  QueueFindings(Deferred(6, 3, 120), &out);
  const Finding& f = Only(out, Step::kQueue);
  EXPECT_EQ(f.status, CheckStatus::kOk);
  EXPECT_EQ(f.summary,
            "9 deferred messages, the oldest for 2m; 9 recipients, mostly "
            "connection_refused (6 of 9)");
  EXPECT_EQ(f.fix, "");
}

TEST(QueueFindingsTest, TenRecipientsWarnWithTheDeferLogText) {
  std::vector<Finding> out;
  QueueFindings(Deferred(7, 3, 120), &out);
  const Finding& f = Only(out, Step::kQueue);
  EXPECT_EQ(f.status, CheckStatus::kWarn);
  ASSERT_GE(f.evidence.size(), 3u);
  EXPECT_EQ(f.evidence[0].text,
            "to=<a@b.example>: 4.4.1 connect to mx.b.example[192.0.2.1]:25: "
            "Connection refused");
  EXPECT_EQ(f.evidence[0].source, "defer log of 4F2A1B2C3D");
  EXPECT_EQ(f.evidence[1].text, "connection_refused 7, other 3");
  EXPECT_EQ(f.evidence[2].text, "b.example 7");
  EXPECT_EQ(f.runbook, "DeferredMostlyConnectionRefused");
  EXPECT_EQ(f.apply, "postqueue -f   (retry the deferred mail now)");
}

TEST(QueueFindingsTest, StuckAndNearExpiry) {
  QueueFacts facts = Deferred(1, 2, 7 * 3600);
  facts.scan.near_expiry = 2;
  facts.maximal_queue_lifetime = 5 * 86400;
  std::vector<Finding> out;
  QueueFindings(facts, &out);
  ASSERT_EQ(out.size(), 3u);  // deferred, near expiry, greylisting
  EXPECT_EQ(out[0].status, CheckStatus::kWarn);
  EXPECT_EQ(out[0].runbook, "MailQueueStuck");  // no reason has a majority
  EXPECT_EQ(out[1].runbook, "MessagesNearExpiry");
  EXPECT_NE(out[1].summary.find("maximal_queue_lifetime (5d 0h)"),
            std::string::npos);
  EXPECT_EQ(out[2].summary, "no deferred recipient was greylisted");
}

TEST(QueueFindingsTest, GreylistedMailAndTheRetrySchedule) {
  QueueFacts facts = Deferred(0, 0, 60);
  facts.scan.queues[static_cast<int>(QueueName::kDeferred)].messages = 1;
  facts.scan.deferred_reasons[static_cast<int>(DeferReason::kGreylisted)] = 1;
  facts.minimal_backoff_time = {"minimal_backoff_time", "3600s", 31};
  facts.minimal_backoff_seconds = 3600;
  facts.config_file = "/etc/postfix/main.cf";
  std::vector<Finding> out;
  QueueFindings(facts, &out);
  const Finding& f = Only(out, Step::kGreylisting);
  EXPECT_EQ(f.status, CheckStatus::kWarn);
  EXPECT_EQ(f.evidence.back().text, "minimal_backoff_time = 3600s");
  EXPECT_EQ(f.evidence.back().source, "/etc/postfix/main.cf:31");
  facts.minimal_backoff_seconds = 300;  // Postfix's default: fine
  out.clear();
  QueueFindings(facts, &out);
  EXPECT_EQ(Only(out, Step::kGreylisting).status, CheckStatus::kOk);
}

TEST(QueueFindingsTest, UnreadableSpool) {
  QueueFacts facts;
  facts.error = "permission denied listing /var/spool/postfix: deferred";
  facts.scan.permission_denied = true;
  std::vector<Finding> out;
  QueueFindings(facts, &out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0].unchecked);
  EXPECT_NE(out[0].fix.find("CAP_DAC_READ_SEARCH"), std::string::npos);
}

TEST(QueueFindingsTest, HumanDuration) {
  EXPECT_EQ(HumanDuration(45), "45s");
  EXPECT_EQ(HumanDuration(17 * 60 + 3), "17m");
  EXPECT_EQ(HumanDuration(3 * 86400 + 4 * 3600 + 60), "3d 4h");
  EXPECT_EQ(HumanDuration(-5), "0s");
}

}  // namespace
}  // namespace mailflow
