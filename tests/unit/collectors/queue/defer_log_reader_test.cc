#include "collectors/queue/defer_log_reader.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "tests/unit/collectors/queue/dir_fd_test.h"

namespace mailflow::queue_collector {
namespace {

std::string Entry(const std::string& rcpt, const std::string& status,
                  const std::string& reason) {
  return "<" + rcpt + ">: " + reason + "\nrecipient=" + rcpt +
         "\noffset=100\nstatus=" + status +
         "\naction=delayed\nreason=" + reason + "\n\n";
}

class DeferLogReaderTest : public DirFdTest {
 protected:
  // Opens and reads `name`; false when it could not be opened.
  bool ReadLog(DeferLogReader* r, const std::string& name, uint16_t* reasons) {
    struct stat st;
    bool corrupt = false;
    int fd = DeferLogReader::Open(dirfd_, name.c_str(), &st, &corrupt);
    if (fd < 0) return false;
    bool ok = r->Read(fd, static_cast<uint64_t>(st.st_size), name, reasons);
    close(fd);
    return ok;
  }
  static int At(DeferReason r) { return static_cast<int>(r); }
};

TEST_F(DeferLogReaderTest, CountsRecipientsPerClassAndKeepsASample) {
  Write("ABC123",
        "\n" +
            Entry("a@x.example", "4.4.1",
                  "connect to x[192.0.2.1]:25: "
                  "Connection refused") +
            Entry("b@x.example", "4.4.1",
                  "connect to x[192.0.2.1]:25: "
                  "Connection refused") +
            Entry("c@y.example", "4.7.1", "greylisted, try again later"));
  DeferLogReader reader(1 << 20, 100);
  uint16_t reasons[kDeferReasonCount];
  ASSERT_TRUE(ReadLog(&reader, "ABC123", reasons));
  EXPECT_EQ(reasons[At(DeferReason::kConnectionRefused)], 2);
  EXPECT_EQ(reasons[At(DeferReason::kGreylisted)], 1);
  EXPECT_EQ(reasons[At(DeferReason::kOther)], 0);
  const DeferSample& s = reader.samples()[At(DeferReason::kConnectionRefused)];
  EXPECT_EQ(s.queue_id, "ABC123");
  EXPECT_EQ(s.recipient, "b@x.example");  // the message's last entry
  EXPECT_EQ(s.status, "4.4.1");

  // Another message's log does not take over a class's sample.
  Write("DEF456", "\n" + Entry("d@z.example", "4.4.1",
                               "connect to z[192.0.2.9]:25: Connection "
                               "refused"));
  ASSERT_TRUE(ReadLog(&reader, "DEF456", reasons));
  EXPECT_EQ(reasons[At(DeferReason::kConnectionRefused)], 1);
  EXPECT_EQ(reasons[At(DeferReason::kGreylisted)], 0);
  EXPECT_EQ(reader.samples()[At(DeferReason::kConnectionRefused)].queue_id,
            "ABC123");
}

TEST_F(DeferLogReaderTest, LimitsBytesAndEntries) {
  std::string text = "\n";
  for (int i = 0; i < 10; ++i) {
    text += Entry("r" + std::to_string(i) + "@x.example", "4.0.0", "busy");
  }
  Write("MANY", text);
  uint16_t reasons[kDeferReasonCount];
  DeferLogReader entries(1 << 20, 3);
  ASSERT_TRUE(ReadLog(&entries, "MANY", reasons));
  EXPECT_EQ(reasons[At(DeferReason::kOther)], 3);
  DeferLogReader bytes(1, 100);  // one byte: no entry at all
  ASSERT_TRUE(ReadLog(&bytes, "MANY", reasons));
  EXPECT_EQ(reasons[At(DeferReason::kOther)], 0);
}

TEST_F(DeferLogReaderTest, OpensRegularFilesOnly) {
  ASSERT_EQ(mkfifo((dir_ + "/FIFO1").c_str(), 0600), 0);
  ASSERT_EQ(symlink("/etc/passwd", (dir_ + "/LINK1").c_str()), 0);
  ASSERT_EQ(mkdir((dir_ + "/DIR1").c_str(), 0700), 0);
  struct stat st;
  for (const char* name : {"FIFO1", "LINK1", "DIR1"}) {
    bool corrupt = false;
    EXPECT_LT(DeferLogReader::Open(dirfd_, name, &st, &corrupt), 0) << name;
    EXPECT_TRUE(corrupt) << name;
  }
  bool corrupt = false;
  EXPECT_LT(DeferLogReader::Open(dirfd_, "MISSING", &st, &corrupt), 0);
  EXPECT_FALSE(corrupt);  // gone: the message left, nothing wrong
}

}  // namespace
}  // namespace mailflow::queue_collector
