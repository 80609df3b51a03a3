#include "collectors/log/log_options.h"

#include <gtest/gtest.h>

#include "tests/support/options_test.h"

namespace mailflow {
namespace {

class LogOptionsTest
    : public test_support::OptionsTest<LogOptions, ParseLogOptions> {
 protected:
  LogOptionsTest() : OptionsTest("log.yml") {
    config_.paths.postfix_config_directory = "/srv/postfix";
  }
};

TEST_F(LogOptionsTest, Defaults) {
  LogOptions o;
  std::string err;
  ASSERT_TRUE(Parse("", &o, &err)) << err;
  EXPECT_EQ(o.postfix_config_directory, "/srv/postfix");
  EXPECT_EQ(o.source, LogSource::kAuto);
  EXPECT_EQ(o.source_name, "auto");
  EXPECT_EQ(o.path, "/var/log/mail.log");
  EXPECT_TRUE(o.start_at_end);
  EXPECT_EQ(o.poll_interval, std::chrono::milliseconds(250));
  EXPECT_EQ(o.auto_interval, std::chrono::seconds(30));
  // root always exists; postfix only where installed.
  ASSERT_FALSE(o.journal_trusted_uids.empty());
  EXPECT_EQ(o.journal_trusted_uids.front(), 0u);
}

TEST_F(LogOptionsTest, Full) {
  LogOptions o;
  std::string err;
  ASSERT_TRUE(
      Parse("source: journal\n"
            "path: /var/log/maillog\n"
            "start_at: beginning\n"
            "journal_directory: /run/log/journal\n"
            "greylist_tracking_max: 0\n"
            "poll_interval: 10ms\n"
            "auto_interval: 10m\n"
            "journal_trusted_users: [\"1234\", root]\n",
            &o, &err))
      << err;
  EXPECT_EQ(o.source, LogSource::kJournal);
  EXPECT_EQ(o.source_name, "journal");
  EXPECT_EQ(o.path, "/var/log/maillog");
  EXPECT_FALSE(o.start_at_end);
  EXPECT_EQ(o.journal_directory, "/run/log/journal");
  EXPECT_EQ(o.greylist_tracking_max, 0);
  EXPECT_EQ(o.poll_interval, std::chrono::milliseconds(10));
  EXPECT_EQ(o.auto_interval, std::chrono::minutes(10));
  EXPECT_EQ(o.journal_trusted_uids, (std::vector<uint32_t>{1234, 0}));
  ASSERT_TRUE(Parse("journal_trusted_users: []\n", &o, &err)) << err;
  EXPECT_TRUE(o.journal_trusted_uids.empty());  // the tag alone
  ASSERT_TRUE(Parse("source: stdin\n", &o, &err)) << err;
  EXPECT_EQ(o.source, LogSource::kStdin);
  ASSERT_TRUE(Parse("source: file\n", &o, &err)) << err;
  EXPECT_EQ(o.source, LogSource::kFile);
}

TEST_F(LogOptionsTest, Errors) {
  EXPECT_EQ(Error("path: /x\nsource: syslog\n"),
            "log.yml:2:1: source must be auto, file, journal or stdin, not "
            "\"syslog\"");
  EXPECT_EQ(Error("start_at: middle\n"),
            "log.yml:1:1: start_at must be end or beginning, not \"middle\"");
  EXPECT_EQ(Error("path: \"\"\n"), "log.yml:1:1: path must not be empty");
  EXPECT_EQ(Error("poll_interval: 5ms\n"),
            "log.yml:1:1: poll_interval must be between 10ms and 1m");
  EXPECT_EQ(Error("auto_interval: 11m\n"),
            "log.yml:1:1: auto_interval must be between 1s and 10m");
  EXPECT_EQ(Error("journal_trusted_users: [no-such-user-mailflow]\n"),
            "log.yml:1:1: unknown user \"no-such-user-mailflow\"");
  EXPECT_EQ(Error("greylist_tracking_max: -1\n"),
            "log.yml:1:24: \"greylist_tracking_max\" must be an integer from 0 "
            "to 10000000");
  EXPECT_EQ(Error("follow: true\n"), "log.yml:1:1: unknown key \"follow\"");
}

}  // namespace
}  // namespace mailflow
