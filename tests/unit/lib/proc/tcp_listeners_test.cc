#include "lib/proc/tcp_listeners.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

namespace mailflow {
namespace {

// A listening socket of this process on 127.0.0.1, any port.
struct Listener {
  Listener() {
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(a);
    if (bind(fd, reinterpret_cast<sockaddr*>(&a), len) != 0 ||
        listen(fd, 1) != 0 ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      std::abort();
    }
    port = ntohs(a.sin_port);
    struct stat st;
    fstat(fd, &st);
    inode = st.st_ino;
  }
  ~Listener() { close(fd); }
  int fd;
  uint16_t port;
  uint64_t inode;
};

TEST(TcpListenersTest, FindsAListenerWithItsInode) {
  Listener l;
  std::vector<ListeningSocket> sockets;
  std::string err;
  ASSERT_TRUE(DumpTcpListeners(&sockets, &err)) << err;
  const ListeningSocket* found = nullptr;
  for (const auto& s : sockets) {
    if (s.inode == l.inode) found = &s;
  }
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->port, l.port);
  EXPECT_EQ(found->address, "127.0.0.1");
  EXPECT_TRUE(found->loopback);
  EXPECT_FALSE(found->ipv6);
  EXPECT_FALSE(found->external());
}

TEST(TcpListenersTest, AClosedListenerIsGone) {
  uint64_t inode;
  {
    Listener l;
    inode = l.inode;
  }
  std::vector<ListeningSocket> sockets;
  std::string err;
  ASSERT_TRUE(DumpTcpListeners(&sockets, &err)) << err;
  for (const auto& s : sockets) EXPECT_NE(s.inode, inode);
}

TEST(TcpListenersTest, OnlyTheRealProcIsProcfs) {
  EXPECT_TRUE(IsProcfs("/proc"));
  EXPECT_FALSE(IsProcfs(std::filesystem::temp_directory_path().string()));
  EXPECT_FALSE(IsProcfs("/nonexistent"));
}

}  // namespace
}  // namespace mailflow
