#include "lib/postfix/queue_file.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include "tests/support/queue_spool_writer.h"

namespace mailflow {
namespace {

std::string Fixture(const std::string& name) {
  const char* src = std::getenv("MAILFLOW_SOURCE_DIR");
  std::string path =
      std::string(src ? src : ".") + "/tests/fixtures/queue/" + name;
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

QueueFileEnvelope Read(std::string_view bytes,
                       QueueFileLimits limits = QueueFileLimits()) {
  QueueFileEnvelope env;
  ReadQueueFileFromMemory(bytes, limits, &env);
  return env;
}

// A queue file written by a real Postfix 3.7 (smtp-source, deferred with
// "Connection refused"), copied from a private instance's spool.
TEST(QueueFileTest, RealPostfixFile) {
  std::string bytes = Fixture("real_deferred_31D43A72154");
  ASSERT_FALSE(bytes.empty());
  QueueFileEnvelope env = Read(bytes);
  EXPECT_EQ(env.status, QueueFileStatus::kOk) << env.error;
  EXPECT_TRUE(env.saw_end);
  EXPECT_TRUE(env.has_arrival);
  EXPECT_EQ(env.arrival_sec, 1795949640);
  EXPECT_EQ(env.arrival_usec, 202328);
  EXPECT_TRUE(env.has_create_time);
  EXPECT_EQ(env.create_time, 1795949640);
  EXPECT_EQ(env.content_size, 613);
  EXPECT_EQ(env.data_offset, 654);
  EXPECT_EQ(env.pending_recipients, 1u);
  ASSERT_EQ(env.domains.size(), 1u);
  EXPECT_EQ(env.domains[0].first, "example.test");
  // The body was skipped: only the envelope and the tail were read... and
  // the whole file fits in the first 4 KiB read anyway.
  EXPECT_LE(env.bytes_read, 4096u);
}

TEST(QueueFileTest, SkipsBodyWithSizeRecord) {
  bench::SyntheticMessage m;
  m.id = "ABCDEF12345";
  m.arrival = 1700000000;
  m.body_bytes = 1 << 20;  // 1 MiB body
  m.recipients = {"a@One.Example.", "b@one.example", "c@two.example", "local"};
  std::string bytes = bench::BuildQueueFile(m);
  QueueFileEnvelope env = Read(bytes);
  EXPECT_EQ(env.status, QueueFileStatus::kOk) << env.error;
  EXPECT_TRUE(env.saw_end);
  EXPECT_EQ(env.pending_recipients, 4u);
  ASSERT_EQ(env.domains.size(), 3u);
  EXPECT_EQ(env.domains[0],
            (std::pair<std::string, uint32_t>("one.example", 2)));
  EXPECT_EQ(env.domains[1],
            (std::pair<std::string, uint32_t>("two.example", 1)));
  EXPECT_EQ(env.domains[2], (std::pair<std::string, uint32_t>("", 1)));
  // Two reads: the envelope chunk and the tail after the content.
  EXPECT_LE(env.bytes_read, 2 * 4096u);
}

TEST(QueueFileTest, DoneRecipientsAreNotPending) {
  std::string bytes = Fixture("real_deferred_31D43A72154");
  size_t r = bytes.find("R\x11rcpt@");
  ASSERT_NE(r, std::string::npos);
  bytes[r] = 'D';  // qmgr marks a delivered recipient in place
  QueueFileEnvelope env = Read(bytes);
  EXPECT_EQ(env.status, QueueFileStatus::kOk);
  EXPECT_EQ(env.pending_recipients, 0u);
}

TEST(QueueFileTest, FollowsPointerRecords) {
  // C T p->X ... X: R E   (a recipient appended through a pointer)
  std::string f;
  AppendQueueRecord(&f, 'T', "100 5");
  std::string ptr_at = f;
  // Placeholder pointer; patched below to the heap after the end record.
  AppendQueueRecord(&f, 'p', "              0");
  size_t ptr_pos = ptr_at.size();
  size_t back_to = f.size();
  AppendQueueRecord(&f, 'S', "s@x");
  AppendQueueRecord(&f, 'M', "");
  AppendQueueRecord(&f, 'N', "body");
  AppendQueueRecord(&f, 'X', "");
  AppendQueueRecord(&f, 'E', "");
  size_t heap = f.size();
  AppendQueueRecord(&f, 'R', "late@heap.example");
  char back[32];
  std::snprintf(back, sizeof(back), "%15zu", back_to);
  AppendQueueRecord(&f, 'p', back);
  char fwd[32];
  std::snprintf(fwd, sizeof(fwd), "%15zu", heap);
  f.replace(ptr_pos + 2, 15, fwd);
  QueueFileEnvelope env = Read(f);
  EXPECT_EQ(env.status, QueueFileStatus::kOk) << env.error;
  EXPECT_EQ(env.pending_recipients, 1u);
  ASSERT_EQ(env.domains.size(), 1u);
  EXPECT_EQ(env.domains[0].first, "heap.example");
  EXPECT_EQ(env.arrival_sec, 100);
  EXPECT_EQ(env.arrival_usec, 5);
}

TEST(QueueFileTest, PointerLoopIsBounded) {
  std::string f;
  AppendQueueRecord(&f, 'T', "100 0");
  char self[32];
  std::snprintf(self, sizeof(self), "%15zu", f.size());
  AppendQueueRecord(&f, 'p', self);  // points at itself
  QueueFileEnvelope env = Read(f);
  EXPECT_EQ(env.status, QueueFileStatus::kCorrupt);
  EXPECT_EQ(env.error, "too many pointer records");
}

TEST(QueueFileTest, MalformedFiles) {
  struct Case {
    std::string bytes;
    QueueFileStatus status;
    std::string error;
  };
  std::string ok;
  AppendQueueRecord(&ok, 'T', "100 0");
  AppendQueueRecord(&ok, 'E', "");
  std::string five_byte_len = std::string("N") + "\xff\xff\xff\xff\x0f";
  std::string six_byte_len = std::string("N") + "\xff\xff\xff\xff\xff\x01";
  std::string huge_attr = std::string("A") + "\xff\xff\x7f" + "x";
  std::string pad;
  AppendQueueRecord(&pad, 'w', std::string(100, ' '));
  AppendQueueRecord(&pad, 'T', "7 0");
  AppendQueueRecord(&pad, 'E', "");
  const Case cases[] = {
      {"", QueueFileStatus::kCorrupt, "empty file"},
      {ok, QueueFileStatus::kOk, ""},
      {pad, QueueFileStatus::kOk, ""},
      {ok.substr(0, ok.size() - 2), QueueFileStatus::kCorrupt,
       "missing end record"},
      {"T", QueueFileStatus::kCorrupt,
       "unexpected end of file reading record length"},
      {"T\x85", QueueFileStatus::kCorrupt,
       "unexpected end of file reading record length"},
      {"T\x05"
       "10",
       QueueFileStatus::kCorrupt, "unexpected end of file in record data"},
      {six_byte_len, QueueFileStatus::kCorrupt,
       "too many length bits, record type 78"},
      {five_byte_len, QueueFileStatus::kCorrupt,
       "illegal record length 4294967295"},
      {huge_attr, QueueFileStatus::kCorrupt, "missing end record"},
      {std::string("C\x03"
                   "abc"),
       QueueFileStatus::kCorrupt, "malformed size record"},
      {std::string("C\x05"
                   "0 0 0"),
       QueueFileStatus::kCorrupt, "invalid size record"},
      {std::string("p\x03"
                   "abc"),
       QueueFileStatus::kCorrupt, "malformed pointer record"},
  };
  for (const Case& c : cases) {
    QueueFileEnvelope env = Read(c.bytes);
    EXPECT_EQ(env.status, c.status) << "input size " << c.bytes.size();
    EXPECT_EQ(env.error, c.error) << "input size " << c.bytes.size();
  }
}

TEST(QueueFileTest, ReadCapGivesIncomplete) {
  // No size record: the reader has to walk the content record by record.
  std::string f;
  AppendQueueRecord(&f, 'T', "100 0");
  AppendQueueRecord(&f, 'M', "");
  for (int i = 0; i < 10000; ++i)
    AppendQueueRecord(&f, 'N', std::string(70, 'x'));
  AppendQueueRecord(&f, 'X', "");
  AppendQueueRecord(&f, 'E', "");
  QueueFileLimits limits;
  limits.max_read_bytes = 64 * 1024;
  QueueFileEnvelope env = Read(f, limits);
  EXPECT_EQ(env.status, QueueFileStatus::kIncomplete);
  EXPECT_TRUE(env.has_arrival);
  EXPECT_LE(env.bytes_read, 64 * 1024u);
}

TEST(QueueFileTest, RecordLoopIsBounded) {
  // A size record whose content skip lands back on itself is followed once.
  std::string f;
  AppendQueueRecord(&f, 'T', "1 0");
  for (int i = 0; i < 200; ++i) AppendQueueRecord(&f, 'w', "");
  QueueFileLimits limits;
  limits.max_records = 50;
  QueueFileEnvelope env = Read(f, limits);
  EXPECT_EQ(env.status, QueueFileStatus::kCorrupt);
  EXPECT_EQ(env.error, "too many records");
}

std::string Describe(const QueueFileEnvelope& e) {
  std::ostringstream o;
  o << static_cast<int>(e.status) << "|" << e.error << "|" << e.io_errno << "|"
    << e.has_size_record << e.content_size << "," << e.data_offset << ","
    << e.recipient_count << "|" << e.has_arrival << e.arrival_sec << ","
    << e.arrival_usec << "|" << e.has_create_time << e.create_time << "|"
    << e.pending_recipients << "|" << e.other_domain_recipients << "|"
    << e.saw_end << "|" << e.bytes_read << "|" << e.records << "|";
  for (const auto& [d, n] : e.domains) o << d << "=" << n << ",";
  return o.str();
}

// A scanner passes the same envelope and read window from file to file:
// the results must not depend on what was read before (a bigger window, a
// longer domain list, an error).
TEST(QueueFileTest, ReusedWindowAndEnvelope) {
  std::vector<std::string> files;
  files.push_back(Fixture("real_deferred_31D43A72154"));
  bench::SyntheticMessage m;
  m.id = "ABCDEF12345";
  m.arrival = 1700000000;
  m.body_bytes = 1 << 20;
  for (int i = 0; i < 40; ++i) {
    m.recipients.push_back("u@d" + std::to_string(i) + ".example");
  }
  files.push_back(bench::BuildQueueFile(m));  // > max_domains_per_message
  std::string big_attr;
  AppendQueueRecord(&big_attr, 'T', "5 6");
  AppendQueueRecord(&big_attr, 'A', "x=" + std::string(20000, 'y'));
  AppendQueueRecord(&big_attr, 'R', "a@big.example");
  AppendQueueRecord(&big_attr, 'E', "");
  files.push_back(big_attr);  // grows the window past one chunk
  files.push_back("");
  files.push_back(std::string("T\x05") + "10");
  std::string no_time;
  AppendQueueRecord(&no_time, 'E', "");
  files.push_back(no_time);

  std::vector<std::string> want;
  for (const std::string& f : files) want.push_back(Describe(Read(f)));
  QueueFileEnvelope env;
  std::string window = "stale bytes from an earlier file";
  for (int pass = 0; pass < 2; ++pass) {
    for (size_t k = 0; k < files.size(); ++k) {
      const size_t i = pass == 0 ? k : files.size() - 1 - k;
      const std::string& f = files[i];
      ReadAtFn read_at = [&f](uint64_t off, char* buf, size_t len) -> ssize_t {
        if (off >= f.size()) return 0;
        size_t n = std::min(len, f.size() - static_cast<size_t>(off));
        std::memcpy(buf, f.data() + off, n);
        return static_cast<ssize_t>(n);
      };
      ReadQueueFile(read_at, QueueFileLimits(), &env, &window);
      EXPECT_EQ(Describe(env), want[i]) << "file " << i << " pass " << pass;
    }
  }
}

TEST(QueueFileTest, RecipientDomain) {
  EXPECT_EQ(RecipientDomain("a@Example.COM"), "example.com");
  EXPECT_EQ(RecipientDomain("a@b@c.example."), "c.example");
  EXPECT_EQ(RecipientDomain("postmaster"), "");
  EXPECT_EQ(RecipientDomain("x@[192.0.2.1]"), "[192.0.2.1]");
}

TEST(QueueFileTest, AppendQueueRecordLengths) {
  std::string r;
  AppendQueueRecord(&r, 'N', std::string(300, 'a'));
  ASSERT_GE(r.size(), 3u);
  EXPECT_EQ(static_cast<unsigned char>(r[1]), 0x80 | (300 & 0x7f));
  EXPECT_EQ(static_cast<unsigned char>(r[2]), 300 >> 7);
}

TEST(DeferLogTest, RealPostfixDeferLog) {
  std::string text = Fixture("real_defer_31D43A72154");
  std::vector<std::string> got;
  size_t n = ParseDeferLog(text, 100, [&](const DeferLogEntry& e) {
    got.push_back(std::string(e.recipient) + "|" + std::string(e.status) + "|" +
                  std::string(e.reason));
  });
  EXPECT_EQ(n, 1u);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0],
            "rcpt@example.test|4.4.1|connect to 127.0.0.1[127.0.0.1]:2525: "
            "Connection refused");
}

TEST(DeferLogTest, OldStyleMultipleAndLimit) {
  std::string text =
      "<a@x>: Host or domain name not found\n\n"
      "recipient=b@y\nstatus=4.7.1\nreason=greylisted\n\n"
      "recipient=c@z\nreason=no status\n";  // truncated: no blank line
  std::vector<std::string> got;
  ParseDeferLog(text, 100, [&](const DeferLogEntry& e) {
    got.push_back(std::string(e.recipient) + "|" + std::string(e.status) + "|" +
                  std::string(e.reason));
  });
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0], "a@x|4.0.0|Host or domain name not found");
  EXPECT_EQ(got[1], "b@y|4.7.1|greylisted");
  EXPECT_EQ(got[2], "c@z|4.0.0|no status");
  EXPECT_EQ(ParseDeferLog(text, 2, [](const DeferLogEntry&) {}), 2u);
}

}  // namespace
}  // namespace mailflow
