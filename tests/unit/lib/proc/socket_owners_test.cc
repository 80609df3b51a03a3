#include "lib/proc/socket_owners.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace mailflow {
namespace {

namespace fs = std::filesystem;

// A /proc look-alike: PID/stat, PID/comm and PID/fd/N -> "socket:[INODE]".
class FakeProc {
 public:
  FakeProc() {
    root_ = fs::temp_directory_path() /
            ("mailflow-owners-" + std::to_string(getpid()) + "-" +
             std::to_string(counter_++));
    fs::create_directories(root_);
  }
  ~FakeProc() { fs::remove_all(root_); }

  void Process(int pid, const std::string& comm, uint64_t start,
               const std::vector<uint64_t>& sockets, int other_fds = 0) {
    const fs::path dir = root_ / std::to_string(pid);
    fs::remove_all(dir);
    fs::create_directories(dir / "fd");
    std::ofstream(dir / "comm") << comm << "\n";
    std::ofstream(dir / "stat")
        << pid << " (" << comm << ") S 1 1 1 0 -1 4194560 100 0 0 0 1 2 0 0 "
        << "20 0 1 0 " << start << " 1000000 200 18446744073709551615\n";
    int fd = 0;
    for (int i = 0; i < other_fds; ++i) {
      fs::create_symlink("/dev/null", dir / "fd" / std::to_string(fd++));
    }
    for (uint64_t inode : sockets) {
      fs::create_symlink("socket:[" + std::to_string(inode) + "]",
                         dir / "fd" / std::to_string(fd++));
    }
  }
  void Exit(int pid) { fs::remove_all(root_ / std::to_string(pid)); }
  std::string root() const { return root_.string(); }

 private:
  static inline int counter_ = 0;
  fs::path root_;
};

Deadline Later() { return Deadline::After(std::chrono::seconds(30)); }

TEST(SocketOwnerCacheTest, KnownSocketsNeedNoWalk) {
  FakeProc proc;
  proc.Process(100, "sshd", 5, {11}, 3);
  proc.Process(200, "master", 7, {21, 22}, 3);
  SocketOwnerCache cache(proc.root());
  auto r = cache.Find({21, 22}, {}, Later());
  ASSERT_EQ(r.owners.size(), 2u);
  EXPECT_EQ(r.owners[21].pid, 200);
  EXPECT_EQ(r.owners[21].comm, "master");
  EXPECT_GT(r.links_read, 0u);
  // Steady state: one stat read per socket, no fd link read.
  r = cache.Find({21, 22}, {}, Later());
  EXPECT_EQ(r.links_read, 0u);
  EXPECT_EQ(r.owners[22].comm, "master");
}

TEST(SocketOwnerCacheTest, ANewSocketIsLookedForInTheHintFirst) {
  FakeProc proc;
  for (int pid = 100; pid < 150; ++pid) proc.Process(pid, "other", 1, {}, 10);
  proc.Process(200, "master", 7, {21}, 2);
  SocketOwnerCache cache(proc.root());
  auto r = cache.Find({21}, {200}, Later());
  EXPECT_EQ(r.owners[21].pid, 200);
  EXPECT_LE(r.links_read, 3u);  // only (some of) the master's fd table
}

TEST(SocketOwnerCacheTest, AnOwnerThatExitedIsLookedUpAgain) {
  FakeProc proc;
  proc.Process(200, "master", 7, {21}, 0);
  SocketOwnerCache cache(proc.root());
  EXPECT_EQ(cache.Find({21}, {}, Later()).owners[21].pid, 200);
  // The socket now belongs to a new process with a reused PID (another
  // start time), then to another PID altogether.
  proc.Process(200, "smtpd", 9, {21}, 0);
  auto r = cache.Find({21}, {}, Later());
  EXPECT_EQ(r.owners[21].comm, "smtpd");
  EXPECT_GT(r.links_read, 0u);
  proc.Exit(200);
  proc.Process(300, "postfix", 3, {21}, 0);
  EXPECT_EQ(cache.Find({21}, {}, Later()).owners[21].pid, 300);
}

TEST(SocketOwnerCacheTest, AnUnattributedSocketIsNotWalkedForAgainAtOnce) {
  FakeProc proc;
  proc.Process(100, "sshd", 5, {11}, 5);
  SocketOwnerCache cache(proc.root());
  auto r = cache.Find({99}, {}, Later());
  EXPECT_TRUE(r.owners.empty());
  EXPECT_GT(r.links_read, 0u);
  r = cache.Find({99}, {}, Later());
  EXPECT_EQ(r.links_read, 0u);  // "unknown" until retry_unknown passed
  // With no retry delay it is looked for on every call.
  SocketOwnerCache::Options o;
  o.retry_unknown = std::chrono::seconds(0);
  SocketOwnerCache eager(proc.root(), o);
  eager.Find({99}, {}, Later());
  EXPECT_GT(eager.Find({99}, {}, Later()).links_read, 0u);
}

TEST(SocketOwnerCacheTest, ABoundedWalkResumesWhereItStopped) {
  FakeProc proc;
  for (int pid = 100; pid < 110; ++pid) proc.Process(pid, "other", 1, {}, 4);
  proc.Process(120, "late", 2, {77}, 0);
  SocketOwnerCache::Options o;
  o.max_links_per_find = 10;
  SocketOwnerCache cache(proc.root(), o);
  int calls = 0;
  size_t total = 0;
  SocketOwnerCache::Result r;
  while (r.owners.empty() && calls < 20) {
    r = cache.Find({77}, {}, Later());
    EXPECT_LE(r.links_read, 10u + 4u);  // stops at the budget
    total += r.links_read;
    ++calls;
  }
  EXPECT_EQ(r.owners[77].comm, "late");
  EXPECT_GT(calls, 1);
  EXPECT_EQ(total, 41u);  // every fd table read once: no restart
}

TEST(SocketOwnerCacheTest, SocketsNoLongerAskedForAreForgotten) {
  FakeProc proc;
  proc.Process(200, "master", 7, {21}, 0);
  SocketOwnerCache cache(proc.root());
  cache.Find({21}, {}, Later());
  cache.Find({}, {}, Later());
  EXPECT_GT(cache.Find({21}, {}, Later()).links_read, 0u);
}

}  // namespace
}  // namespace mailflow
