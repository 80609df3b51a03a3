#include "lib/postfix/postfix_snapshot.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace mailflow {
namespace {

class PostfixSnapshotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/mailflow-snapshot-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    Write("main.cf", "queue_directory = /spool/q\n");
    Write("master.cf",
          "smtp inet n - y - - smtpd\n"
          "#submission inet n - y - - smtpd\n");
  }
  void TearDown() override {
    std::string cmd = "rm -rf '" + dir_ + "'";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
  }
  // Writes NAME and dates it 10 s back (outside the racy window), unless
  // `recent`.
  void Write(const std::string& name, const std::string& text,
             bool recent = false) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    if (recent) return;
    timeval now;
    gettimeofday(&now, nullptr);
    timeval times[2] = {{now.tv_sec - 10, 0}, {now.tv_sec - 10, 0}};
    ASSERT_EQ(utimes(path.c_str(), times), 0);
  }
  std::string dir_;
};

TEST_F(PostfixSnapshotTest, ParsesOnceWhileUnchanged) {
  PostfixSnapshotCache cache;
  std::string err;
  auto a = cache.Get(dir_, &err);
  ASSERT_NE(a, nullptr) << err;
  EXPECT_EQ(a->queue_directory, "/spool/q");
  EXPECT_EQ(a->process_id_directory, "pid");
  ASSERT_EQ(a->inet_services.size(), 2u);
  EXPECT_TRUE(a->inet_services[0].enabled);
  EXPECT_EQ(a->inet_services[1].disabled_by, "comment");
  auto b = cache.Get(dir_, &err);
  EXPECT_EQ(a.get(), b.get());
  EXPECT_EQ(cache.parses(), 1u);
}

TEST_F(PostfixSnapshotTest, EditedFileIsParsedAgain) {
  PostfixSnapshotCache cache;
  std::string err;
  auto a = cache.Get(dir_, &err);
  ASSERT_NE(a, nullptr);
  Write("main.cf", "queue_directory = /spool/other\n");
  auto b = cache.Get(dir_, &err);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->queue_directory, "/spool/other");
  EXPECT_EQ(a->queue_directory, "/spool/q");  // the old one is untouched
  Write("master.cf", "smtp inet n - y - - smtpd\n");
  auto c = cache.Get(dir_, &err);
  EXPECT_EQ(c->inet_services.size(), 1u);
  EXPECT_EQ(cache.parses(), 3u);
}

TEST_F(PostfixSnapshotTest, RecentlyModifiedFileIsReadAgainEachTime) {
  PostfixSnapshotCache cache;
  std::string err;
  Write("main.cf", "queue_directory = /spool/a\n", /*recent=*/true);
  ASSERT_NE(cache.Get(dir_, &err), nullptr);
  // Same size, possibly the same timestamp tick: still seen.
  Write("main.cf", "queue_directory = /spool/b\n", /*recent=*/true);
  auto b = cache.Get(dir_, &err);
  EXPECT_EQ(b->queue_directory, "/spool/b");
  EXPECT_EQ(cache.parses(), 2u);
}

TEST_F(PostfixSnapshotTest, UnreadableConfigIsAnErrorEveryTime) {
  PostfixSnapshotCache cache;
  std::string err;
  ASSERT_NE(cache.Get(dir_, &err), nullptr);
  ASSERT_EQ(std::remove((dir_ + "/master.cf").c_str()), 0);
  EXPECT_EQ(cache.Get(dir_, &err), nullptr);
  EXPECT_EQ(err, dir_ + "/master.cf: cannot read: No such file or directory");
  Write("master.cf", "smtp inet n - y - - smtpd\n");
  EXPECT_NE(cache.Get(dir_, &err), nullptr);
  EXPECT_EQ(PostfixConfigDependencyError("/etc/postfix"),
            "needs the Postfix configuration in /etc/postfix, which cannot "
            "be read (the postfix collector reports why)");
}

TEST_F(PostfixSnapshotTest, ConcurrentCallersShareOneParse) {
  PostfixSnapshotCache cache;
  std::vector<std::thread> threads;
  std::vector<const PostfixSnapshot*> seen(8);
  for (size_t i = 0; i < seen.size(); ++i) {
    threads.emplace_back([&, i] {
      std::string err;
      seen[i] = cache.Get(dir_, &err).get();
    });
  }
  for (auto& t : threads) t.join();
  for (auto* s : seen) EXPECT_EQ(s, seen[0]);
  EXPECT_EQ(cache.parses(), 1u);
}

TEST_F(PostfixSnapshotTest, ForgetsLeastRecentlyUsedDirectory) {
  PostfixSnapshotCache cache;
  std::string err;
  auto first = cache.Get(dir_, &err);
  for (size_t i = 0; i < PostfixSnapshotCache::kMaxDirectories; ++i) {
    const std::string d = dir_ + "/d" + std::to_string(i);
    ASSERT_EQ(mkdir(d.c_str(), 0700), 0);
    std::ofstream(d + "/main.cf") << "";
    std::ofstream(d + "/master.cf") << "";
    ASSERT_NE(cache.Get(d, &err), nullptr) << err;
  }
  const uint64_t before = cache.parses();
  cache.Get(dir_, &err);  // evicted: parsed again
  EXPECT_EQ(cache.parses(), before + 1);
}

}  // namespace
}  // namespace mailflow
