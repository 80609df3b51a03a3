#include "collectors/log/log_stats_by_instance.h"

#include <gtest/gtest.h>

namespace mailflow::log_collector {
namespace {

PostfixInstance Instance(const std::string& name,
                         const std::string& syslog_name) {
  PostfixInstance in;
  in.name = name;
  in.syslog_name = syslog_name;
  in.enabled = true;
  return in;
}

void Add(LogStatsByInstance* counts, std::string_view text) {
  postfix::LogLine line;
  postfix::ParseLogLine(text, &line);
  counts->Count(line);
}

constexpr const char* kOutSent =
    "Jan  5 10:00:00 mx postfix-out/smtp[12]: 4Xy9Z1: to=<a@example.org>, "
    "relay=mx.example.org[192.0.2.1]:25, delay=1, delays=0.1/0/0.4/0.5, "
    "dsn=2.0.0, status=sent (250 ok)";
constexpr const char* kMainSent =
    "Jan  5 10:00:01 mx postfix/smtp[13]: 4Xy9Z2: to=<b@example.org>, "
    "relay=mx.example.org[192.0.2.1]:25, delay=1, delays=0.1/0/0.4/0.5, "
    "dsn=2.0.0, status=sent (250 ok)";
constexpr const char* kForeign =
    "Jan  5 10:00:02 mx sshd[14]: Accepted publickey for root";

TEST(LogStatsByInstanceTest, AttributesLinesBySyslogName) {
  LogStatsByInstance counts(100);
  counts.SetInstances(
      {Instance("postfix", "postfix"), Instance("postfix-out", "postfix-out")});
  Add(&counts, kOutSent);
  Add(&counts, kMainSent);
  Add(&counts, kMainSent);
  Add(&counts, kForeign);
  SourceState state;
  state.source = "file";
  state.path = "/var/log/mail.log";
  state.is_file = true;
  const LogFacts f = counts.Facts(state, true);
  EXPECT_EQ(f.lines, 4u);  // every line read, unclaimed too
  EXPECT_EQ(f.source, "file");
  EXPECT_EQ(f.path, "/var/log/mail.log");
  EXPECT_TRUE(f.start_at_end);
  EXPECT_EQ(f.greylist_p90_seconds, -1);  // no greylisted delivery

  std::vector<prometheus::MetricFamily> out;
  counts.AppendFamilies(state, &out);
  // The per-instance families carry both instances' series.
  size_t with_out = 0, with_main = 0;
  for (const auto& family : out) {
    for (const auto& m : family.metric) {
      for (const auto& l : m.label) {
        if (l.name != "postfix_instance") continue;
        with_out += l.value == "postfix-out";
        with_main += l.value == "postfix";
      }
    }
  }
  EXPECT_GT(with_out, 0u);
  EXPECT_GT(with_main, 0u);
}

TEST(LogStatsByInstanceTest, BeforeAnyInstanceLinesGoToPostfix) {
  LogStatsByInstance counts(100);
  Add(&counts, kOutSent);
  std::vector<prometheus::MetricFamily> out;
  counts.AppendFamilies(SourceState(), &out);
  for (const auto& family : out) {
    for (const auto& m : family.metric) {
      for (const auto& l : m.label) {
        if (l.name == "postfix_instance") {
          EXPECT_EQ(l.value, "postfix");
        }
      }
    }
  }
  EXPECT_EQ(counts.Facts(SourceState(), false).lines, 1u);
}

}  // namespace
}  // namespace mailflow::log_collector
