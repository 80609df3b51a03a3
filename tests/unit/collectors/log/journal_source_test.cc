// A real journal without journald: entries in the journal export format are
// turned into journal files by systemd-journal-remote and read back through
// sd-journal, including a file that appears in the watched directory later.
#include "collectors/log/journal_source.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace mailflow::log_collector {
namespace {

constexpr const char* kRemote = "/lib/systemd/systemd-journal-remote";

std::string Entry(uint64_t usec, const std::string& ident,
                  const std::string& message) {
  return "__REALTIME_TIMESTAMP=" + std::to_string(usec) +
         "\n__MONOTONIC_TIMESTAMP=" + std::to_string(usec / 1000) +
         "\n_BOOT_ID=0123456789abcdef0123456789abcdef\n_SYSTEMD_UNIT=postfix@-."
         "service\n"
         "SYSLOG_IDENTIFIER=" +
         ident + "\nMESSAGE=" + message + "\n\n";
}

// Writes `export_text` as journal file `path` with systemd-journal-remote.
bool WriteJournal(const std::string& path, const std::string& export_text) {
  const std::string cmd =
      std::string(kRemote) + " -o " + path + " - 2>/dev/null";
  FILE* p = popen(cmd.c_str(), "w");
  if (!p) return false;
  fwrite(export_text.data(), 1, export_text.size(), p);
  return pclose(p) == 0;
}

using Entries = std::vector<std::pair<std::string, std::string>>;

TEST(JournalSourceTest, ReadsPostfixEntriesAndFollowsNewFiles) {
  if (access(kRemote, X_OK) != 0) {
    GTEST_SKIP()
        << kRemote
        << " is not installed (Debian package systemd-journal-remote): "
        << "cannot create journal files without journald";
  }
  char tmpl[] = "/tmp/mailflow-journal-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  ASSERT_TRUE(WriteJournal(
      dir + "/a.journal",
      Entry(1700000000000000, "postfix/qmgr", "ABCDEF123: removed") +
          Entry(1700000001000000, "sshd", "Accepted publickey") +
          Entry(1700000002000000, "postfix-out/smtp",
                "connect to x[192.0.2.1]:25: Connection refused")));
  JournalSource from_start(dir, /*start_at_end=*/false);
  JournalSource from_end(dir, /*start_at_end=*/true);
  std::string err;
  ASSERT_TRUE(from_start.Open(&err)) << err;
  ASSERT_TRUE(from_end.Open(&err)) << err;
  Entries got, got_end;
  const JournalSource::Sink sink = [&](std::string_view i, std::string_view m) {
    got.emplace_back(i, m);
  };
  const JournalSource::Sink sink_end = [&](std::string_view i,
                                           std::string_view m) {
    got_end.emplace_back(i, m);
  };
  EXPECT_EQ(from_start.Poll(sink, 100, &err), 3);
  EXPECT_EQ(got, (Entries{{"postfix/qmgr", "ABCDEF123: removed"},
                          {"postfix-out/smtp",
                           "connect to x[192.0.2.1]:25: Connection refused"}}));
  EXPECT_EQ(from_start.skipped(), 1u);
  EXPECT_EQ(from_end.Poll(sink_end, 100, &err), 0);

  // A new journal file in the watched directory is followed.
  ASSERT_TRUE(WriteJournal(
      dir + "/b.journal",
      Entry(1700000010000000, "postfix/smtpd", "connect from x[192.0.2.9]")));
  got.clear();
  for (int i = 0; i < 50 && (got.empty() || got_end.empty()); ++i) {
    from_start.Wait(std::chrono::milliseconds(100));
    from_end.Wait(std::chrono::milliseconds(100));
    from_start.Poll(sink, 100, &err);
    from_end.Poll(sink_end, 100, &err);
  }
  EXPECT_EQ(got, (Entries{{"postfix/smtpd", "connect from x[192.0.2.9]"}}));
  EXPECT_EQ(got_end, (Entries{{"postfix/smtpd", "connect from x[192.0.2.9]"}}));
  std::filesystem::remove_all(dir);
}

TEST(JournalSourceTest, MissingDirectoryIsAnError) {
  JournalSource j("/nonexistent/mailflow-journal", false);
  std::string err;
  EXPECT_FALSE(j.Open(&err));
  EXPECT_EQ(
      err,
      "open journal /nonexistent/mailflow-journal: No such file or directory");
}

}  // namespace
}  // namespace mailflow::log_collector
