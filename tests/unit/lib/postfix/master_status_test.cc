#include "lib/postfix/master_status.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace mailflow {
namespace {

namespace fs = std::filesystem;

class MasterStatusTest : public testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/master-status-XXXXXX";
    root_ = mkdtemp(tmpl);
    queue_ = root_ + "/spool";
    proc_ = root_ + "/proc";
    fs::create_directories(queue_ + "/pid");
    fs::create_directories(proc_ + "/self");
  }
  void TearDown() override { fs::remove_all(root_); }

  void Write(const std::string& path, const std::string& text) {
    fs::create_directories(fs::path(path).parent_path());
    std::ofstream(path) << text;
  }
  std::string PidFile() { return queue_ + "/pid/master.pid"; }
  // A /proc/locks line for a lock on the pid file, as the kernel prints it.
  std::string LockLine(int pid) {
    struct stat st;
    EXPECT_EQ(stat(PidFile().c_str(), &st), 0);
    char line[200];
    std::snprintf(line, sizeof(line),
                  "1: FLOCK  ADVISORY  WRITE %d %02x:%02x:%lu 0 EOF\n", pid,
                  major(st.st_dev), minor(st.st_dev),
                  static_cast<unsigned long>(st.st_ino));
    return line;
  }
  MasterStatus Read(const std::string& proc = "") {
    return ReadMasterStatus(queue_, "pid", proc.empty() ? proc_ : proc);
  }

  std::string root_, queue_, proc_;
};

TEST_F(MasterStatusTest, NoPidFileIsDown) {
  MasterStatus st = Read();
  EXPECT_EQ(st.liveness, MasterLiveness::kDown);
  EXPECT_EQ(st.method, "pid_file");
  EXPECT_FALSE(st.running);
}

TEST_F(MasterStatusTest, InvisibleQueueDirectoryIsUnknown) {
  MasterStatus st = ReadMasterStatus(root_ + "/no-spool", "pid", proc_);
  EXPECT_EQ(st.liveness, MasterLiveness::kUnknown);
  EXPECT_EQ(st.method, "none");
}

TEST_F(MasterStatusTest, TheLockDecidesWhateverThePid) {
  // The pid file names pid 7 of the master's own namespace; no process 7
  // here, but the lock is held.
  Write(PidFile(), "          7\n");
  Write(proc_ + "/locks",
        "1: POSIX  ADVISORY  READ 99 08:01:1 0 EOF\n" + LockLine(31337) +
            "1: -> FLOCK ADVISORY WRITE 5 " + "00:00:0 0 EOF\n");
  MasterStatus st = Read();
  EXPECT_EQ(st.liveness, MasterLiveness::kUp);
  EXPECT_EQ(st.method, "lock");
  EXPECT_EQ(st.pid, 7);
  EXPECT_EQ(st.detail, "process 31337 holds the lock on " + PidFile());
}

TEST_F(MasterStatusTest, RealFlockSeenInProcLocks) {
  Write(PidFile(), "1\n");
  int fd = open(PidFile().c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(flock(fd, LOCK_EX | LOCK_NB), 0);
  MasterStatus st = Read("/proc");
  close(fd);
  EXPECT_EQ(st.liveness, MasterLiveness::kUp);
  EXPECT_EQ(st.method, "lock");
  // Released: nobody holds it, and pid 1 is not a master here.
  st = Read("/proc");
  EXPECT_NE(st.liveness, MasterLiveness::kUp);
}

TEST_F(MasterStatusTest, NoLockAndNoMaster) {
  Write(PidFile(), "4321\n");
  Write(proc_ + "/locks", "");
  Write(proc_ + "/4321/comm", "bash\n");
  // The initial pid namespace sees every lock: down.
  fs::create_directories(proc_ + "/self/ns");
  fs::create_symlink("pid:[4026531836]", proc_ + "/self/ns/pid");
  MasterStatus st = Read();
  EXPECT_EQ(st.liveness, MasterLiveness::kDown);
  EXPECT_EQ(st.method, "lock");
  EXPECT_EQ(st.detail, "stale pid file " + PidFile() +
                           " (process 4321 is \"bash\", not master); no "
                           "process holds its lock");
  // A nested namespace cannot see a master elsewhere: unknown.
  fs::remove(proc_ + "/self/ns/pid");
  fs::create_symlink("pid:[4026532999]", proc_ + "/self/ns/pid");
  st = Read();
  EXPECT_EQ(st.liveness, MasterLiveness::kUnknown);
  EXPECT_EQ(st.method, "none");
  EXPECT_FALSE(st.running);
}

TEST_F(MasterStatusTest, WithoutProcLocksThePidDecides) {
  Write(PidFile(), "4321\n");
  Write(proc_ + "/4321/comm", "master\n");
  MasterStatus st = Read();
  EXPECT_EQ(st.liveness, MasterLiveness::kUp);
  EXPECT_EQ(st.method, "pid");
  Write(proc_ + "/4321/comm", "bash\n");
  st = Read();
  EXPECT_EQ(st.liveness, MasterLiveness::kDown);
  EXPECT_EQ(st.method, "pid");
  Write(PidFile(), "garbage\n");
  EXPECT_EQ(Read().detail, PidFile() + ": no process id in pid file");
}

}  // namespace
}  // namespace mailflow
