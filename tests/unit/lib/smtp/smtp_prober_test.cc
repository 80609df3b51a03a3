#include "lib/smtp/smtp_prober.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

namespace mailflow {
namespace {

using std::chrono::milliseconds;

int ListenLoopback(uint16_t* port, int backlog = 128) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  EXPECT_EQ(listen(fd, backlog), 0);
  socklen_t len = sizeof(a);
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  *port = ntohs(a.sin_port);
  return fd;
}

// A scripted SMTP peer on 127.0.0.1: greets with `greeting` and answers
// EHLO with `ehlo` and QUIT with 221. Serves connections one by one.
class ScriptedServer {
 public:
  ScriptedServer(std::string greeting, std::string ehlo)
      : greeting_(std::move(greeting)), ehlo_(std::move(ehlo)) {
    fd_ = ListenLoopback(&port_);
    thread_ = std::thread([this] { Serve(); });
  }
  ~ScriptedServer() {
    stop_ = true;
    thread_.join();
    close(fd_);
  }
  uint16_t port() const { return port_; }
  std::string received() const { return received_; }

 private:
  void Serve() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      int c = accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      write(c, greeting_.data(), greeting_.size());
      std::string buf;
      for (int i = 0; i < 100 && !stop_; ++i) {
        pollfd q{c, POLLIN, 0};
        if (poll(&q, 1, 50) <= 0) continue;
        char tmp[512];
        ssize_t n = read(c, tmp, sizeof(tmp));
        if (n <= 0) break;
        buf.append(tmp, n);
        received_ += std::string(tmp, n);
        size_t nl;
        bool quit = false;
        while ((nl = buf.find("\r\n")) != std::string::npos) {
          std::string cmd = buf.substr(0, nl);
          buf.erase(0, nl + 2);
          std::string reply;
          if (cmd.rfind("EHLO", 0) == 0)
            reply = ehlo_;
          else if (cmd == "QUIT") {
            reply = "221 bye\r\n";
            quit = true;
          } else
            reply = "502 no\r\n";
          write(c, reply.data(), reply.size());
        }
        if (quit) break;
      }
      close(c);
    }
  }

  std::string greeting_, ehlo_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::string received_;
  std::thread thread_;
};

ProbeSpec Spec(uint16_t port, milliseconds timeout = milliseconds(2000)) {
  ProbeSpec s;
  EXPECT_TRUE(ParseIpLiteral("127.0.0.1", port, &s.endpoint));
  s.timeout = timeout;
  s.connect_timeout = timeout;
  s.ehlo_name = "probe.test";
  return s;
}

class ProberTest : public ::testing::Test {
 protected:
  void SetUp() override { signal(SIGPIPE, SIG_IGN); }
};

TEST_F(ProberTest, OkWithStarttlsNoted) {
  ScriptedServer srv("220 peer ESMTP\r\n",
                     "250-peer\r\n250-STARTTLS\r\n250 8BITMIME\r\n");
  ProbeSpec s = Spec(srv.port());
  s.tls = TlsMode::kNone;  // note STARTTLS, do not start it
  auto out = RunProbes({s}, {});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(ProbeResultName(out[0].result), "ok") << out[0].detail;
  EXPECT_TRUE(out[0].connected);
  EXPECT_TRUE(out[0].starttls_offered);
  EXPECT_FALSE(out[0].tls_established);
  EXPECT_EQ(out[0].banner_code, 220);
  EXPECT_GE(out[0].phase_seconds[0], 0);
  EXPECT_GE(out[0].phase_seconds[1], 0);
  EXPECT_GE(out[0].phase_seconds[2], 0);
  EXPECT_LT(out[0].phase_seconds[3], 0);
}

TEST_F(ProberTest, StarttlsRefusedIsTlsError) {
  ScriptedServer srv("220 peer\r\n", "250-peer\r\n250 STARTTLS\r\n");
  auto out = RunProbes({Spec(srv.port())}, {});
  EXPECT_EQ(ProbeResultName(out[0].result), "tls_error");
  EXPECT_EQ(out[0].detail, "STARTTLS: 502 no");
}

TEST_F(ProberTest, Greeting554IsBannerError) {
  ScriptedServer srv("554 5.7.1 no service for you\r\n", "250 x\r\n");
  auto out = RunProbes({Spec(srv.port())}, {});
  EXPECT_EQ(ProbeResultName(out[0].result), "banner_error");
  EXPECT_EQ(out[0].banner_code, 554);
  EXPECT_EQ(out[0].detail, "greeting: 554 5.7.1 no service for you");
}

TEST_F(ProberTest, MultiLineGreetingAndEhloRejected) {
  ScriptedServer srv("220-peer\r\n220 welcome\r\n", "550 go away\r\n");
  auto out = RunProbes({Spec(srv.port())}, {});
  EXPECT_EQ(ProbeResultName(out[0].result), "protocol_error");
  EXPECT_EQ(out[0].detail, "EHLO: 550 go away");
}

TEST_F(ProberTest, GarbageGreetingIsBannerError) {
  ScriptedServer srv("SSH-2.0-OpenSSH\r\n", "");
  auto out = RunProbes({Spec(srv.port())}, {});
  EXPECT_EQ(ProbeResultName(out[0].result), "banner_error");
  EXPECT_EQ(out[0].detail, "greeting: malformed reply");
}

TEST_F(ProberTest, RefusedWhenNothingListens) {
  uint16_t port;
  int fd = ListenLoopback(&port);
  close(fd);
  auto out = RunProbes({Spec(port)}, {});
  EXPECT_EQ(ProbeResultName(out[0].result), "refused");
  EXPECT_EQ(out[0].detail, "connect: Connection refused");
  EXPECT_FALSE(out[0].connected);
}

TEST_F(ProberTest, SilentListenerIsBannerTimeout) {
  uint16_t port;
  int fd = ListenLoopback(&port);  // the kernel completes the handshake
  auto out = RunProbes({Spec(port, milliseconds(300))}, {});
  EXPECT_EQ(ProbeResultName(out[0].result), "banner_timeout");
  EXPECT_TRUE(out[0].connected);
  EXPECT_EQ(out[0].detail, "no greeting before the timeout");
  close(fd);
}

TEST_F(ProberTest, ConnectOnly) {
  uint16_t port;
  int fd = ListenLoopback(&port);
  ProbeSpec s = Spec(port);
  s.connect_only = true;
  auto out = RunProbes({s}, {});
  EXPECT_EQ(ProbeResultName(out[0].result), "ok");
  EXPECT_LT(out[0].phase_seconds[1], 0);
  close(fd);
}

// A hundred silent targets in one batch each end in their own timeout (how
// long the batch takes is measured in bench/smtp_round.py, not asserted).
TEST_F(ProberTest, ManySilentTargetsEachTimeOut) {
  uint16_t port;
  int fd = ListenLoopback(&port, 512);
  std::vector<ProbeSpec> specs(100, Spec(port, milliseconds(400)));
  ProbeBatchOptions o;
  o.max_concurrency = 200;
  auto out = RunProbes(specs, o);
  ASSERT_EQ(out.size(), specs.size());
  for (const auto& r : out)
    EXPECT_EQ(ProbeResultName(r.result), "banner_timeout");
  close(fd);
}

TEST_F(ProberTest, ConcurrencyBoundQueuesTheRest) {
  uint16_t port;
  int fd = ListenLoopback(&port, 512);
  std::vector<ProbeSpec> specs(6, Spec(port, milliseconds(200)));
  ProbeBatchOptions o;
  o.max_concurrency = 2;
  auto start = std::chrono::steady_clock::now();
  auto out = RunProbes(specs, o);
  auto took = std::chrono::steady_clock::now() - start;
  for (const auto& r : out)
    EXPECT_EQ(ProbeResultName(r.result), "banner_timeout");
  EXPECT_GE(took, milliseconds(600));  // three waves of two
  close(fd);
}

TEST_F(ProberTest, StopFlagEndsTheBatch) {
  uint16_t port;
  int fd = ListenLoopback(&port);
  std::atomic<bool> stop{false};
  ProbeBatchOptions o;
  o.stop = &stop;
  std::thread t([&] {
    std::this_thread::sleep_for(milliseconds(100));
    stop = true;
  });
  auto out = RunProbes({Spec(port, milliseconds(30000))}, o);
  t.join();
  EXPECT_EQ(out[0].detail, "probe cancelled (shutdown)");
  close(fd);
}

TEST_F(ProberTest, BatchDeadlineBoundsEverything) {
  uint16_t port;
  int fd = ListenLoopback(&port);
  ProbeBatchOptions o;
  o.deadline = Deadline::After(milliseconds(200));
  auto out = RunProbes({Spec(port, milliseconds(30000))}, o);
  EXPECT_EQ(ProbeResultName(out[0].result), "banner_timeout");
  close(fd);
}

}  // namespace
}  // namespace mailflow
