#include "collectors/queue/queue_message_reader.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "tests/support/queue_spool_writer.h"
#include "tests/unit/collectors/queue/dir_fd_test.h"

namespace mailflow::queue_collector {
namespace {

class QueueMessageReaderTest : public DirFdTest {
 protected:
};

TEST_F(QueueMessageReaderTest, ReadsTheEnvelope) {
  bench::SyntheticMessage msg;
  msg.id = "4A1B2C3D4E5";
  msg.arrival = 1700000000;
  msg.recipients = {"a@x.example", "b@x.example", "c@y.example"};
  Write(msg.id, bench::BuildQueueFile(msg), 0700);
  int fd = -1;
  struct stat st;
  ASSERT_EQ(QueueMessageReader::Open(dirfd_, msg.id.c_str(), &fd, &st),
            QueueFileAccess::kOk);
  QueueMessageReader reader{QueueFileLimits()};
  const QueueMessage& m = reader.Read(fd, QueueName::kDeferred, st);
  close(fd);
  EXPECT_FALSE(m.corrupt);
  EXPECT_EQ(m.arrival, 1700000000);
  EXPECT_EQ(m.create_time, 1700000000);  // no create time: the arrival
  size_t recipients = 0;
  for (const auto& [domain, n] : m.env.domains) recipients += n;
  EXPECT_EQ(recipients, 3u);
}

TEST_F(QueueMessageReaderTest, NoArrivalTimeIsCorruptOutsideMaildrop) {
  Write("5A1B2C3D4E5", "garbage that is no record stream", 0700);
  int fd = -1;
  struct stat st;
  ASSERT_EQ(QueueMessageReader::Open(dirfd_, "5A1B2C3D4E5", &fd, &st),
            QueueFileAccess::kOk);
  QueueMessageReader reader{QueueFileLimits()};
  EXPECT_TRUE(reader.Read(fd, QueueName::kDeferred, st).corrupt);
  close(fd);
}

TEST_F(QueueMessageReaderTest, RefusesWhatIsNoReadableQueueFile) {
  Write("BUSY1", "x", 0600);  // cleanup has not finished it (no u+x)
  ASSERT_EQ(mkfifo((dir_ + "/FIFO1").c_str(), 0700), 0);
  ASSERT_EQ(symlink("/etc/passwd", (dir_ + "/LINK1").c_str()), 0);
  int fd = -1;
  struct stat st;
  EXPECT_EQ(QueueMessageReader::Open(dirfd_, "BUSY1", &fd, &st),
            QueueFileAccess::kBusy);
  EXPECT_EQ(fd, -1);
  EXPECT_EQ(QueueMessageReader::Open(dirfd_, "FIFO1", &fd, &st),
            QueueFileAccess::kCorrupt);
  EXPECT_EQ(QueueMessageReader::Open(dirfd_, "LINK1", &fd, &st),
            QueueFileAccess::kCorrupt);
  EXPECT_EQ(QueueMessageReader::Open(dirfd_, "GONE1", &fd, &st),
            QueueFileAccess::kGone);
  EXPECT_EQ(QueueMessageReader::Stat(dirfd_, "BUSY1", &st),
            QueueFileAccess::kBusy);
  EXPECT_EQ(QueueMessageReader::Stat(dirfd_, "LINK1", &st),
            QueueFileAccess::kCorrupt);
  EXPECT_EQ(QueueMessageReader::Stat(dirfd_, "GONE1", &st),
            QueueFileAccess::kGone);
}

}  // namespace
}  // namespace mailflow::queue_collector
