#include "collectors/log/file_follower.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

namespace mailflow::log_collector {
namespace {

namespace fs = std::filesystem;

class FileFollowerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/mailflow-follow-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/mail.log";
  }
  void TearDown() override { fs::remove_all(dir_); }

  static void Append(const std::string& path, const std::string& text) {
    const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(write(fd, text.data(), text.size()), ssize_t(text.size()));
    close(fd);
  }

  // Polls until nothing more arrives; returns the lines seen.
  std::vector<std::string> Drain(FileFollower* f) {
    std::vector<std::string> out;
    const FileFollower::Sink sink = [&](std::string_view block) {
      size_t i = 0;
      while (i < block.size()) {
        const size_t nl = block.find('\n', i);
        out.emplace_back(block.substr(i, nl - i));
        i = nl + 1;
      }
    };
    while (f->Poll(sink) > 0) {
    }
    return out;
  }

  FileFollower Make(bool start_at_end, std::chrono::milliseconds grace =
                                           std::chrono::milliseconds(5000)) {
    FileFollower::Options o;
    o.path = path_;
    o.start_at_end = start_at_end;
    o.rotate_grace = grace;
    return FileFollower(o);
  }

  std::string dir_, path_;
};

using Lines = std::vector<std::string>;

TEST_F(FileFollowerTest, AbsentAtStartIsReadFromItsBeginningWhenItAppears) {
  FileFollower f = Make(/*start_at_end=*/true);
  EXPECT_EQ(Drain(&f), Lines{});
  EXPECT_FALSE(f.state().open);
  Append(path_, "one\ntwo\n");
  EXPECT_EQ(Drain(&f), (Lines{"one", "two"}));
  EXPECT_TRUE(f.state().open);
  EXPECT_EQ(f.state().position, 8u);
}

TEST_F(FileFollowerTest, StartAtEndSkipsExistingLinesBeginningReadsThem) {
  Append(path_, "old1\nold2\n");
  FileFollower end = Make(true);
  FileFollower beg = Make(false);
  EXPECT_EQ(Drain(&end), Lines{});
  EXPECT_EQ(Drain(&beg), (Lines{"old1", "old2"}));
  Append(path_, "new\n");
  EXPECT_EQ(Drain(&end), Lines{"new"});
  EXPECT_EQ(Drain(&beg), Lines{"new"});
}

TEST_F(FileFollowerTest, PartialLineIsHeldUntilItsNewline) {
  FileFollower f = Make(false);
  Append(path_, "complete\npart");
  EXPECT_EQ(Drain(&f), Lines{"complete"});
  Append(path_, "ial\n");
  EXPECT_EQ(Drain(&f), Lines{"partial"});
}

TEST_F(FileFollowerTest, RenameCreateDeleteAndCopytruncate) {
  FileFollower f = Make(false, std::chrono::milliseconds(0));
  Append(path_, "a1\n");
  EXPECT_EQ(Drain(&f), Lines{"a1"});
  // Rename + create; the old file gets one more line before the switch.
  Append(path_, "a2\n");
  ASSERT_EQ(rename(path_.c_str(), (path_ + ".1").c_str()), 0);
  Append(path_ + ".1", "a3\n");
  Append(path_, "b1\n");
  EXPECT_EQ(Drain(&f), (Lines{"a2", "a3", "b1"}));
  EXPECT_EQ(f.state().rotations, 1u);
  // Delete + recreate.
  ASSERT_EQ(unlink(path_.c_str()), 0);
  EXPECT_EQ(Drain(&f), Lines{});
  Append(path_, "c1\n");
  EXPECT_EQ(Drain(&f), Lines{"c1"});
  EXPECT_EQ(f.state().rotations, 2u);
  // copytruncate.
  Append(path_, "c2-long-line\n");
  EXPECT_EQ(Drain(&f), Lines{"c2-long-line"});
  ASSERT_EQ(truncate(path_.c_str(), 0), 0);
  Append(path_, "d1\n");
  EXPECT_EQ(Drain(&f), Lines{"d1"});
  EXPECT_EQ(f.state().truncations, 1u);
  EXPECT_EQ(f.state().position, 3u);
}

// A writer appends numbered lines and rotates (rename, delete, copytruncate)
// while the follower polls: every line arrives exactly once.
TEST_F(FileFollowerTest, RotationWhileWritingLosesAndDuplicatesNothing) {
  constexpr int kLines = 20000;
  std::atomic<bool> writer_done{false};
  std::atomic<uint64_t> consumed_pos{0};
  std::atomic<uint64_t> truncations{0};
  std::atomic<uint64_t> rotations{0};
  FileFollower f = Make(false, std::chrono::milliseconds(200));
  // A file renamed or deleted and recreated twice before the follower polls
  // again loses the middle file whatever the follower does (as for tail -F):
  // after each rotation the writer waits until the follower noticed it
  // (bounded), writing on in the new file meanwhile is what it tests.
  auto wait_for_rotation = [&](uint64_t before) {
    const auto until =
        std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (rotations.load() == before &&
           std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  };
  // The follower has the (empty) file open before the first line: a writer
  // that rotated before the first Poll() would hide its first file.
  close(open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644));
  f.Poll([](std::string_view) {});
  ASSERT_TRUE(f.state().open);
  std::thread writer([&] {
    int fd = open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    int rotation = 0;
    for (int i = 0; i < kLines; ++i) {
      const std::string line = "line " + std::to_string(i) + "\n";
      // Write some lines in two pieces: partial lines at EOF.
      if (i % 7 == 0) {
        ASSERT_EQ(write(fd, line.data(), 3), 3);
        ASSERT_EQ(write(fd, line.data() + 3, line.size() - 3),
                  ssize_t(line.size() - 3));
      } else {
        ASSERT_EQ(write(fd, line.data(), line.size()), ssize_t(line.size()));
      }
      if (i % 2500 == 2499) {
        const int kind = rotation++ % 3;
        const uint64_t rotations_before = rotations.load();
        if (kind == 0) {  // rename + create; a few late lines to the old file
          ASSERT_EQ(rename(path_.c_str(),
                           (path_ + "." + std::to_string(rotation)).c_str()),
                    0);
          for (int k = 0; k < 3 && i + 1 < kLines; ++k) {
            ++i;
            const std::string late = "line " + std::to_string(i) + "\n";
            ASSERT_EQ(write(fd, late.data(), late.size()),
                      ssize_t(late.size()));
          }
          close(fd);
          fd = open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
          wait_for_rotation(rotations_before);
        } else if (kind == 1) {  // delete + recreate
          ASSERT_EQ(unlink(path_.c_str()), 0);
          close(fd);
          fd = open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
          wait_for_rotation(rotations_before);
        } else {
          // copytruncate: logrotate copies, then truncates. Lines written
          // between the two are lost by design, so the writer pauses until
          // the follower has read everything (as a quiet moment would).
          struct stat st;
          fstat(fd, &st);
          const auto until =
              std::chrono::steady_clock::now() + std::chrono::seconds(10);
          while (consumed_pos.load() < uint64_t(st.st_size) &&
                 std::chrono::steady_clock::now() < until) {
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
          }
          const uint64_t before = truncations.load();
          ASSERT_EQ(ftruncate(fd, 0), 0);
          // Truncation is noticed when the size drops below the read
          // position; a writer that refills the file past that position
          // before the next poll would hide it (as for tail -F), so the
          // writer stays quiet until the follower noticed.
          while (truncations.load() == before &&
                 std::chrono::steady_clock::now() < until) {
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
          }
        }
      }
    }
    close(fd);
    writer_done = true;
  });
  std::vector<int> seen(kLines, 0);
  int bad = 0;
  const FileFollower::Sink sink = [&](std::string_view block) {
    size_t i = 0;
    while (i < block.size()) {
      const size_t nl = block.find('\n', i);
      const std::string_view l = block.substr(i, nl - i);
      i = nl + 1;
      if (l.substr(0, 5) != "line ") {
        ++bad;
        continue;
      }
      const int n = std::stoi(std::string(l.substr(5)));
      if (n >= 0 && n < kLines)
        ++seen[n];
      else
        ++bad;
    }
  };
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(60);
  int idle_after_done = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    const size_t got = f.Poll(sink);
    consumed_pos = f.state().position;
    truncations = f.state().truncations;
    rotations = f.state().rotations;
    if (got == 0) {
      if (writer_done && ++idle_after_done > 50) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }
  writer.join();
  EXPECT_EQ(bad, 0);
  int missing = 0, dup = 0;
  for (int i = 0; i < kLines; ++i) {
    if (seen[i] == 0) ++missing;
    if (seen[i] > 1) ++dup;
  }
  EXPECT_EQ(missing, 0);
  EXPECT_EQ(dup, 0);
  EXPECT_GE(f.state().rotations, 4u);
  EXPECT_GE(f.state().truncations, 1u);
}

TEST_F(FileFollowerTest, DescriptorSourceReadsToEof) {
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  FileFollower f = FileFollower::ForDescriptor(p[0]);
  ASSERT_EQ(write(p[1], "x\ny", 3), 3);
  close(p[1]);
  std::vector<std::string> out;
  const FileFollower::Sink sink = [&](std::string_view b) {
    out.emplace_back(b);
  };
  while (!f.finished()) f.Poll(sink);
  EXPECT_EQ(out, (Lines{"x\n", "y\n"}));
  close(p[0]);
}

}  // namespace
}  // namespace mailflow::log_collector
