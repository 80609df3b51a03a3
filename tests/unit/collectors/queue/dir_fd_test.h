// DirFdTest: a fixture with a fresh directory, open as dirfd_, for the
// queue collector's readers (which take a directory descriptor and a name).
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "tests/support/queue_spool_writer.h"
#include "tests/support/temp_dir.h"

namespace mailflow::queue_collector {

class DirFdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(tmp_.path().empty());
    dir_ = tmp_.path();
    dirfd_ = open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ASSERT_GE(dirfd_, 0);
  }
  void TearDown() override { close(dirfd_); }
  // Writes dir_/NAME with exactly `mode`.
  void Write(const std::string& name, const std::string& data,
             mode_t mode = 0600) {
    ASSERT_TRUE(bench::WriteFileAt(dir_ + "/" + name, data, mode));
    ASSERT_EQ(chmod((dir_ + "/" + name).c_str(), mode), 0);
  }

  test_support::TempDir tmp_{"queue-dir-fd-test"};
  std::string dir_;
  int dirfd_ = -1;
};

}  // namespace mailflow::queue_collector
