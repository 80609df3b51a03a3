#include "collectors/queue/queue_walker.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <string>

#include "tests/support/temp_dir.h"

namespace mailflow::queue_collector {
namespace {

class QueueWalkerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(tmp_.path().empty());
    root_ = tmp_.path();
    budget_.Reset(Deadline::Clock::time_point::max());
  }
  void Mkdir(const std::string& rel) {
    ASSERT_EQ(mkdir((root_ + "/" + rel).c_str(), 0700), 0) << rel;
  }
  void Touch(const std::string& rel) {
    std::ofstream(root_ + "/" + rel) << "x";
  }
  // Moves a directory's mtime an hour back, so that its listing is trusted.
  void Age(const std::string& rel) {
    struct timespec t[2];
    clock_gettime(CLOCK_REALTIME, &t[0]);
    t[0].tv_sec -= 3600;
    t[1] = t[0];
    ASSERT_EQ(utimensat(AT_FDCWD, (root_ + "/" + rel).c_str(), t, 0), 0);
  }
  // One scan of queue `rel`; the files visited.
  std::set<std::string> Walk(const std::string& rel, QueueName q,
                             QueueStats* qs) {
    walker_.BeginScan(++gen_, Nanos({time(nullptr), 0}), &budget_);
    std::set<std::string> seen;
    int fd = open((root_ + "/" + rel).c_str(), O_RDONLY | O_DIRECTORY);
    bool denied = false;
    walker_.WalkQueue(
        fd, q, 0, rel, qs, &denied,
        [&](int, const char* name, size_t len, uint64_t, uint32_t dir) {
          seen.insert(walker_.rel(dir) + "/" + std::string(name, len));
          return true;
        });
    EXPECT_FALSE(denied);
    return seen;
  }

  test_support::TempDir tmp_{"queue-walker-test"};
  std::string root_;
  ScanBudget budget_;
  QueueWalker walker_;
  uint32_t gen_ = 0;
};

TEST_F(QueueWalkerTest, VisitsQueueFilesAndCountsJunk) {
  Mkdir("deferred");
  Mkdir("deferred/A");
  Mkdir("deferred/notahash");
  Touch("deferred/A/4Xy9Z_1");
  Touch("deferred/ABC");
  Touch("deferred/bad-name");
  QueueStats qs;
  EXPECT_EQ(Walk("deferred", QueueName::kDeferred, &qs),
            (std::set<std::string>{"deferred/A/4Xy9Z_1", "deferred/ABC"}));
  EXPECT_EQ(qs.corrupt_files, 2u);  // notahash/ and bad-name
  EXPECT_EQ(walker_.dirs_skipped(), 0u);
}

TEST_F(QueueWalkerTest, SkipsUnchangedListingsOfDeferredOnly) {
  for (const char* q : {"deferred", "active"}) {
    Mkdir(q);
    Mkdir(std::string(q) + "/B");
    Touch(std::string(q) + "/B/F1");
    Touch(std::string(q) + "/junk-file");
    Age(std::string(q) + "/B");
    Age(q);
  }
  QueueStats qs;
  EXPECT_EQ(Walk("deferred", QueueName::kDeferred, &qs).size(), 1u);
  EXPECT_EQ(qs.corrupt_files, 1u);
  // Unchanged: nothing visited, both directories skipped, junk still counted.
  QueueStats again;
  EXPECT_TRUE(Walk("deferred", QueueName::kDeferred, &again).empty());
  EXPECT_EQ(walker_.dirs_skipped(), 2u);
  EXPECT_EQ(again.corrupt_files, 1u);
  // A change in the subdirectory is noticed there.
  Touch("deferred/B/F2");
  Age("deferred/B");
  QueueStats changed;
  EXPECT_EQ(Walk("deferred", QueueName::kDeferred, &changed),
            (std::set<std::string>{"deferred/B/F1", "deferred/B/F2"}));
  // Files in active change in place: always listed.
  QueueStats active;
  Walk("active", QueueName::kActive, &active);
  EXPECT_EQ(Walk("active", QueueName::kActive, &active).size(), 1u);
  EXPECT_EQ(walker_.dirs_skipped(), 0u);
}

TEST(ValidQueueIdTest, Alphabet) {
  EXPECT_TRUE(ValidQueueId("4Xy9Z_1", 7));
  EXPECT_FALSE(ValidQueueId("", 0));
  EXPECT_FALSE(ValidQueueId("a-b", 3));
  EXPECT_FALSE(ValidQueueId(std::string(65, 'a').c_str(), 65));
}

}  // namespace
}  // namespace mailflow::queue_collector
