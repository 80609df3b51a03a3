#include "collectors/queue/queue_scanner.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "tests/support/queue_spool_writer.h"

namespace mailflow {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kNow = 1800000000;

class QueueScannerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/mailflow-queue-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    spool_ = root_ + "/spool";
    bench::MakeSpoolDirs(spool_);
  }
  void TearDown() override { fs::remove_all(root_); }

  bench::SyntheticMessage Msg(uint64_t n, int64_t age, std::string reason = "",
                              std::string status = "4.4.1") {
    bench::SyntheticMessage m;
    m.id = bench::SyntheticQueueId(n);
    m.arrival = kNow - age;
    m.defer_reason = std::move(reason);
    m.defer_status = std::move(status);
    return m;
  }
  void Write(const std::string& queue, const bench::SyntheticMessage& m,
             int64_t mtime = kNow + 3600) {
    bool hashed = queue == "deferred";
    ASSERT_TRUE(bench::WriteSyntheticMessage(spool_, queue, hashed, m, mtime));
  }
  QueueScanResult Scan(QueueScanner* s, Status* st = nullptr) {
    QueueScanResult r;
    Status status = s->Scan(Deadline::Never(), kNow, &r);
    if (st) *st = status;
    return r;
  }
  QueueScanOptions Opts() {
    QueueScanOptions o;
    o.queue_directory = spool_;
    return o;
  }
  const QueueStats& Q(const QueueScanResult& r, QueueName q) {
    return r.queues[static_cast<int>(q)];
  }

  std::string root_, spool_;
};

TEST_F(QueueScannerTest, CountsAgesReasonsDomains) {
  Write("deferred",
        Msg(1, 100, "connect to a[1.2.3.4]:25: Connection refused"));
  Write("deferred",
        Msg(2, 7200, "connect to a[1.2.3.4]:25: Connection refused"));
  auto m3 = Msg(3, 86400 * 5 - 3600,
                "Host or domain name not found. Name service error", "4.4.3");
  m3.recipients = {"x@nx.example", "y@nx.example", "z@other.example"};
  Write("deferred", m3);
  Write("active", Msg(4, 30));
  Write("hold", Msg(5, 50));
  Write("incoming", Msg(6, 10));

  QueueScanner scanner(Opts());
  Status st;
  QueueScanResult r = Scan(&scanner, &st);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(Q(r, QueueName::kDeferred).messages, 3u);
  EXPECT_EQ(Q(r, QueueName::kActive).messages, 1u);
  EXPECT_EQ(Q(r, QueueName::kHold).messages, 1u);
  EXPECT_EQ(Q(r, QueueName::kIncoming).messages, 1u);
  EXPECT_EQ(Q(r, QueueName::kMaildrop).messages, 0u);
  EXPECT_DOUBLE_EQ(Q(r, QueueName::kDeferred).oldest_age, 86400 * 5 - 3600);
  EXPECT_DOUBLE_EQ(Q(r, QueueName::kActive).oldest_age, 30);
  EXPECT_GT(Q(r, QueueName::kDeferred).bytes, 3 * 512u);
  // Ages 100 (<=300), 7200 (<=9600), 428400 (<=432000).
  const auto& b = Q(r, QueueName::kDeferred).ages.bucket_counts();
  EXPECT_EQ(b[0], 1u);
  EXPECT_EQ(b[5], 1u);
  EXPECT_EQ(b[10], 1u);
  EXPECT_EQ(
      r.deferred_reasons[static_cast<int>(DeferReason::kConnectionRefused)],
      2u);
  EXPECT_EQ(r.deferred_reasons[static_cast<int>(DeferReason::kHostNotFound)],
            3u);
  ASSERT_GE(r.domains.size(), 2u);
  EXPECT_EQ(r.domains[0],
            (std::pair<std::string, uint64_t>("example.test", 2)));
  EXPECT_EQ(r.domains[1], (std::pair<std::string, uint64_t>("nx.example", 2)));
  EXPECT_EQ(r.near_expiry, 1u);  // message 3 expires within the hour
  EXPECT_EQ(r.parsed_files, 6u);
  EXPECT_EQ(r.defer_logs_read, 3u);
  EXPECT_EQ(r.tracked_messages, 6u);

  // Steady state: nothing re-read.
  r = Scan(&scanner, &st);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(r.parsed_files, 0u);
  EXPECT_EQ(r.defer_logs_read, 0u);
  EXPECT_EQ(Q(r, QueueName::kDeferred).messages, 3u);
  EXPECT_EQ(r.deferred_reasons[static_cast<int>(DeferReason::kHostNotFound)],
            3u);

  // A delivered message vanishes; a changed defer log is re-read.
  fs::remove(spool_ + "/deferred/" + Msg(1, 0).id.substr(0, 1) + "/" +
             Msg(1, 0).id);
  fs::remove(spool_ + "/defer/" + Msg(1, 0).id.substr(0, 1) + "/" +
             Msg(1, 0).id);
  auto m2 = Msg(2, 7200, "connect to a[1.2.3.4]:25: Connection timed out");
  std::string dpath = spool_ + "/defer/" + m2.id.substr(0, 1) + "/" + m2.id;
  ASSERT_TRUE(bench::WriteFileAt(dpath, bench::BuildDeferLog(m2) + "\n", 0600));
  r = Scan(&scanner, &st);
  EXPECT_EQ(Q(r, QueueName::kDeferred).messages, 2u);
  EXPECT_EQ(r.parsed_files, 0u);
  EXPECT_EQ(r.defer_logs_read, 1u);
  EXPECT_EQ(
      r.deferred_reasons[static_cast<int>(DeferReason::kConnectionRefused)],
      0u);
  EXPECT_EQ(
      r.deferred_reasons[static_cast<int>(DeferReason::kConnectionTimedOut)],
      1u);
  EXPECT_EQ(r.tracked_messages, 5u);
}

TEST_F(QueueScannerTest, MovedBetweenQueuesIsReparsedOnce) {
  auto m = Msg(7, 600, "connect to a[1.2.3.4]:25: Connection refused");
  Write("active", m);
  QueueScanner scanner(Opts());
  QueueScanResult r = Scan(&scanner);
  EXPECT_EQ(Q(r, QueueName::kActive).messages, 1u);
  std::string from = spool_ + "/active/" + m.id;
  std::string to = spool_ + "/deferred/" + m.id.substr(0, 1) + "/" + m.id;
  ASSERT_EQ(rename(from.c_str(), to.c_str()), 0);
  r = Scan(&scanner);
  EXPECT_EQ(Q(r, QueueName::kActive).messages, 0u);
  EXPECT_EQ(Q(r, QueueName::kDeferred).messages, 1u);
  EXPECT_DOUBLE_EQ(Q(r, QueueName::kDeferred).oldest_age, 600);
  EXPECT_EQ(r.parsed_files, 1u);  // rename changed ctime
}

TEST_F(QueueScannerTest, SkipsFilesBeingWritten) {
  auto m = Msg(8, 60);
  Write("incoming", m);
  chmod((spool_ + "/incoming/" + m.id).c_str(), 0600);  // cleanup not done
  QueueScanner scanner(Opts());
  QueueScanResult r = Scan(&scanner);
  EXPECT_EQ(Q(r, QueueName::kIncoming).messages, 0u);
  EXPECT_EQ(Q(r, QueueName::kIncoming).corrupt_files, 0u);
}

TEST_F(QueueScannerTest, MaildropWithoutArrivalUsesMtime) {
  std::string f;
  AppendQueueRecord(&f, 'S', "user");
  AppendQueueRecord(&f, 'R', "a@drop.example");
  AppendQueueRecord(&f, 'M', "");
  AppendQueueRecord(&f, 'N', "hello");
  AppendQueueRecord(&f, 'X', "");
  AppendQueueRecord(&f, 'E', "");
  std::string path = spool_ + "/maildrop/ABC123";
  ASSERT_TRUE(bench::WriteFileAt(path, f, 0700));
  struct timeval tv[2] = {{kNow - 42, 0}, {kNow - 42, 0}};
  utimes(path.c_str(), tv);
  QueueScanner scanner(Opts());
  QueueScanResult r = Scan(&scanner);
  EXPECT_EQ(Q(r, QueueName::kMaildrop).messages, 1u);
  EXPECT_DOUBLE_EQ(Q(r, QueueName::kMaildrop).oldest_age, 42);
  // The same file in the active queue is corrupt (qmgr needs 'T').
  ASSERT_TRUE(bench::WriteFileAt(spool_ + "/active/ABC124", f, 0700));
  r = Scan(&scanner);
  EXPECT_EQ(Q(r, QueueName::kActive).messages, 0u);
  EXPECT_EQ(Q(r, QueueName::kActive).corrupt_files, 1u);
}

TEST_F(QueueScannerTest, JunkInQueueDirectories) {
  Write("deferred", Msg(9, 60));
  std::string d = spool_ + "/deferred/0/";
  ASSERT_TRUE(bench::WriteFileAt(d + "EMPTY00001", "", 0700));
  ASSERT_TRUE(bench::WriteFileAt(d + "TRUNC00001", "T\x85", 0700));
  fs::create_directory(d + "somedir");
  fs::create_symlink("/etc/passwd", d + "LINK000001");
  ASSERT_EQ(mkfifo((d + "FIFO000001").c_str(), 0700), 0);
  ASSERT_TRUE(bench::WriteFileAt(d + "bad.name", "x", 0700));
  QueueScanner scanner(Opts());
  Status st;
  QueueScanResult r = Scan(&scanner, &st);
  EXPECT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(Q(r, QueueName::kDeferred).messages, 1u);
  // empty, truncated, directory, symlink, fifo, bad name.
  EXPECT_EQ(Q(r, QueueName::kDeferred).corrupt_files, 6u);
  // Corrupt files are cached too: a second scan parses nothing.
  r = Scan(&scanner, &st);
  EXPECT_EQ(r.parsed_files, 0u);
  EXPECT_EQ(Q(r, QueueName::kDeferred).corrupt_files, 6u);
}

TEST_F(QueueScannerTest, TopDomainsFoldIntoOther) {
  QueueScanOptions o = Opts();
  o.top_domains = 2;
  for (int i = 0; i < 5; ++i) {
    auto m = Msg(100 + i, 60);
    m.recipients.clear();
    for (int j = 0; j <= i; ++j) {
      m.recipients.push_back("u" + std::to_string(j) + "@d" +
                             std::to_string(j) + ".example");
    }
    Write("deferred", m);
  }
  QueueScanner scanner(o);
  QueueScanResult r = Scan(&scanner);
  ASSERT_EQ(r.domains.size(), 3u);
  EXPECT_EQ(r.domains[0], (std::pair<std::string, uint64_t>("d0.example", 5)));
  EXPECT_EQ(r.domains[1], (std::pair<std::string, uint64_t>("d1.example", 4)));
  EXPECT_EQ(r.domains[2],
            (std::pair<std::string, uint64_t>("other", 3 + 2 + 1)));
}

TEST_F(QueueScannerTest, UntrackedBeyondCapStillCounted) {
  QueueScanOptions o = Opts();
  o.max_tracked_messages = 2;
  for (int i = 0; i < 5; ++i) {
    Write("deferred", Msg(200 + i, 60 * (i + 1),
                          "connect to a[1.2.3.4]:25: Connection refused"));
  }
  QueueScanner scanner(o);
  for (int pass = 0; pass < 2; ++pass) {
    QueueScanResult r = Scan(&scanner);
    EXPECT_EQ(Q(r, QueueName::kDeferred).messages, 5u);
    EXPECT_EQ(r.tracked_messages, 2u);
    EXPECT_EQ(r.untracked_messages, 3u);
    EXPECT_DOUBLE_EQ(Q(r, QueueName::kDeferred).oldest_age, 300);
    EXPECT_EQ(r.deferred_reasons[0], 5u);
    ASSERT_EQ(r.domains.size(), 1u);
    EXPECT_EQ(r.domains[0].second, 5u);
  }
}

TEST_F(QueueScannerTest, DeadlineGivesPartialResult) {
  for (int i = 0; i < 300; ++i) Write("deferred", Msg(300 + i, 60));
  QueueScanner scanner(Opts());
  QueueScanResult r;
  Status st =
      scanner.Scan(Deadline::After(std::chrono::milliseconds(0)), kNow, &r);
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(st.message(),
            "queue scan stopped at the scrape deadline; messages not reached "
            "are reported as of the previous scan (the next scrapes continue "
            "from the cache)");
  EXPECT_FALSE(r.complete);
  // Later scrapes complete from the cache.
  r = QueueScanResult();
  st = scanner.Scan(Deadline::Never(), kNow, &r);
  EXPECT_TRUE(st.ok());
  EXPECT_EQ(Q(r, QueueName::kDeferred).messages, 300u);
}

TEST_F(QueueScannerTest, MissingDirectory) {
  QueueScanOptions o = Opts();
  o.queue_directory = root_ + "/nope";
  QueueScanner scanner(o);
  QueueScanResult r;
  Status st = scanner.Scan(Deadline::Never(), kNow, &r);
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(st.message(), "cannot open queue directory " + root_ +
                              "/nope: No such file or directory");
  EXPECT_FALSE(Q(r, QueueName::kDeferred).readable);
}

// Sets the mtime of every directory under the spool 10 s into the past, as
// if nothing had changed there for a while.
void AgeDirectories(const std::string& spool) {
  struct timeval tv[2];
  gettimeofday(&tv[0], nullptr);
  tv[0].tv_sec -= 10;
  tv[1] = tv[0];
  for (const auto& e : fs::recursive_directory_iterator(spool)) {
    if (e.is_directory() && !e.is_symlink()) utimes(e.path().c_str(), tv);
  }
}

TEST_F(QueueScannerTest, UnchangedDirectoriesAreNotListed) {
  for (int i = 0; i < 40; ++i) {
    Write("deferred",
          Msg(400 + i, 60, "connect to a[1.2.3.4]:25: Connection refused"));
  }
  Write("hold", Msg(500, 60));
  AgeDirectories(spool_);
  QueueScanner scanner(Opts());
  QueueScanResult r = Scan(&scanner);
  EXPECT_EQ(r.parsed_files, 41u);
  EXPECT_EQ(r.dirs_skipped, 0u);
  r = Scan(&scanner);
  EXPECT_EQ(r.parsed_files, 0u);
  EXPECT_EQ(r.defer_logs_read, 0u);
  EXPECT_GE(r.dirs_skipped, 16u);  // the deferred and defer leaves at least
  EXPECT_EQ(Q(r, QueueName::kDeferred).messages, 40u);
  EXPECT_EQ(Q(r, QueueName::kHold).messages, 1u);
  EXPECT_EQ(r.deferred_reasons[0], 40u);
  // A new message and a delivered one change their directories' mtimes.
  Write("deferred",
        Msg(600, 30, "connect to a[1.2.3.4]:25: Connection timed out"));
  auto gone = Msg(400, 0);
  fs::remove(spool_ + "/deferred/" + gone.id.substr(0, 1) + "/" + gone.id);
  fs::remove(spool_ + "/defer/" + gone.id.substr(0, 1) + "/" + gone.id);
  r = Scan(&scanner);
  EXPECT_EQ(r.parsed_files, 1u);
  EXPECT_EQ(Q(r, QueueName::kDeferred).messages, 40u);
  EXPECT_EQ(r.deferred_reasons[0], 39u);
  EXPECT_EQ(r.deferred_reasons[1], 1u);
  EXPECT_EQ(r.tracked_messages, 41u);
}

TEST_F(QueueScannerTest, BytesPerMessageIsSmall) {
  EXPECT_LE(QueueScanner::BytesPerTrackedMessage(), 200u);
}

}  // namespace
}  // namespace mailflow
