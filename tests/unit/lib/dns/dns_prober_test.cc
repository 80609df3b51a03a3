// DnsProber against a real UDP DNS responder on 127.0.0.1 run by the test
// (an in-process thread): window bound, deadline, stop, result classes.
#include "lib/dns/dns_prober.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace mailflow {
namespace {

using Clock = std::chrono::steady_clock;

// Answers A queries by the first label of the name: "servfail" -> SERVFAIL,
// "refused" -> REFUSED, "nxdomain" -> NXDOMAIN, "silent" -> nothing,
// anything else -> 127.0.0.2 after `delay`. Tracks the largest number of
// queries it held unanswered at once.
class Responder {
 public:
  explicit Responder(std::chrono::milliseconds delay) : delay_(delay) {
    fd_ = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { Loop(); });
  }
  ~Responder() {
    stop_ = true;
    thread_.join();
    close(fd_);
  }
  NameServer server() const {
    NameServer ns;
    ns.address = "127.0.0.1";
    ns.port = port_;
    return ns;
  }
  int max_outstanding() const { return max_outstanding_; }
  int received() const { return received_; }

 private:
  struct Held {
    Clock::time_point due;
    std::string reply;
    sockaddr_in peer;
  };

  void Loop() {
    std::vector<Held> held;
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      poll(&p, 1, 5);
      unsigned char buf[512];
      sockaddr_in peer{};
      socklen_t plen = sizeof peer;
      ssize_t n;
      while ((n = recvfrom(fd_, buf, sizeof buf, MSG_DONTWAIT,
                           reinterpret_cast<sockaddr*>(&peer), &plen)) > 12) {
        ++received_;
        size_t off = 12;
        std::string first;
        if (buf[off] > 0 && off + 1 + buf[off] <= static_cast<size_t>(n)) {
          first.assign(reinterpret_cast<char*>(buf + off + 1), buf[off]);
        }
        while (off < static_cast<size_t>(n) && buf[off] != 0)
          off += buf[off] + 1;
        off += 5;  // root label + qtype + qclass
        if (off > static_cast<size_t>(n) || first == "silent") continue;
        std::string r(reinterpret_cast<char*>(buf), off);
        r[2] = static_cast<char>(0x84 | (buf[2] & 0x01));  // QR AA RD
        int rcode = first == "servfail"   ? 2
                    : first == "refused"  ? 5
                    : first == "nxdomain" ? 3
                                          : 0;
        r[3] = static_cast<char>(0x80 | rcode);
        if (rcode == 0) {
          r[7] = 1;  // ANCOUNT
          const unsigned char rr[] = {0xc0, 0x0c, 0, 1, 0,   1, 0, 0,
                                      0,    60,   0, 4, 127, 0, 0, 2};
          r.append(reinterpret_cast<const char*>(rr), sizeof rr);
        }
        held.push_back({Clock::now() + delay_, r, peer});
        max_outstanding_ =
            std::max(max_outstanding_.load(), static_cast<int>(held.size()));
      }
      const auto now = Clock::now();
      for (auto it = held.begin(); it != held.end();) {
        if (it->due <= now) {
          sendto(fd_, it->reply.data(), it->reply.size(), 0,
                 reinterpret_cast<sockaddr*>(&it->peer), sizeof it->peer);
          it = held.erase(it);
        } else {
          ++it;
        }
      }
    }
  }

  std::chrono::milliseconds delay_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> max_outstanding_{0};
  std::atomic<int> received_{0};
  std::thread thread_;
};

TEST(PreferredMxHostsTest, LowestPreferenceFirstTiesInAnswerOrder) {
  std::vector<MxRecord> mx = {
      {20, "c.example"}, {10, "a.example"}, {20, "b.example"}, {5, ""}};
  EXPECT_EQ(PreferredMxHosts(mx, 2),
            (std::vector<std::string>{"a.example", "c.example"}));
  EXPECT_EQ(PreferredMxHosts(mx, 10),
            (std::vector<std::string>{"a.example", "c.example", "b.example"}));
  EXPECT_TRUE(PreferredMxHosts(mx, 0).empty());
  EXPECT_TRUE(PreferredMxHosts({{0, ""}}, 2).empty());  // null MX
}

TEST(DnsProberTest, WindowBoundsQueriesInFlight) {
  Responder r(std::chrono::milliseconds(20));
  DnsProber::Options o;
  o.max_in_flight = 5;
  DnsProber p(o);
  ASSERT_TRUE(p.Init({r.server()}).ok());
  int ok = 0;
  for (int i = 0; i < 30; ++i) {
    p.Submit(0, DnsType::kA,
             std::string("n").append(std::to_string(i)) + ".test",
             [&ok](const DnsAnswer& a) {
               if (a.result == DnsResult::kOk &&
                   a.addresses == std::vector<std::string>{"127.0.0.2"}) {
                 ++ok;
               }
             });
  }
  ASSERT_TRUE(p.Run(Deadline::After(std::chrono::seconds(20))).ok());
  EXPECT_EQ(ok, 30);
  EXPECT_EQ(p.sent(), 30u);
  EXPECT_EQ(p.skipped(), 0u);
  EXPECT_LE(r.max_outstanding(), 5);
  EXPECT_GE(r.max_outstanding(), 2);  // concurrent, not one by one
}

TEST(DnsProberTest, ResultClassesAndFollowUps) {
  Responder r(std::chrono::milliseconds(0));
  DnsProber::Options o;
  o.query_timeout = std::chrono::milliseconds(300);
  DnsProber p(o);
  ASSERT_TRUE(p.Init({r.server()}).ok());
  std::map<std::string, std::string> got;
  for (std::string name : {"servfail", "refused", "nxdomain", "silent", "ok"}) {
    p.Submit(
        0, DnsType::kA, name + ".test", [&got, &p, name](const DnsAnswer& a) {
          got[name] = DnsResultName(a.result);
          if (name == "ok") {  // a follow-up from inside the callback
            p.Submit(0, DnsType::kA, "second.test", [&got](const DnsAnswer& b) {
              got["second"] = DnsResultName(b.result);
            });
          }
        });
  }
  ASSERT_TRUE(p.Run(Deadline::After(std::chrono::seconds(20))).ok());
  EXPECT_EQ(got, (std::map<std::string, std::string>{{"servfail", "servfail"},
                                                     {"refused", "refused"},
                                                     {"nxdomain", "nxdomain"},
                                                     {"silent", "timeout"},
                                                     {"ok", "ok"},
                                                     {"second", "ok"}}));
}

TEST(DnsProberTest, DeadlineEndsRoundAndCountsSkipped) {
  Responder r(std::chrono::milliseconds(0));
  DnsProber::Options o;
  o.query_timeout = std::chrono::milliseconds(10000);
  o.max_in_flight = 4;
  DnsProber p(o);
  ASSERT_TRUE(p.Init({r.server()}).ok());
  std::vector<DnsResult> results;
  for (int i = 0; i < 10; ++i) {
    p.Submit(0, DnsType::kA, "silent.n" + std::to_string(i) + ".test",
             [&results](const DnsAnswer& a) { results.push_back(a.result); });
  }
  ASSERT_TRUE(p.Run(Deadline::After(std::chrono::milliseconds(200))).ok());
  EXPECT_EQ(results, std::vector<DnsResult>(4, DnsResult::kTimeout));
  EXPECT_EQ(p.skipped(), 6u);
}

TEST(DnsProberTest, StopFlagEndsRound) {
  Responder r(std::chrono::milliseconds(0));
  DnsProber::Options o;
  o.query_timeout = std::chrono::milliseconds(10000);
  DnsProber p(o);
  ASSERT_TRUE(p.Init({r.server()}).ok());
  std::atomic<bool> stop{true};
  int done = 0;
  p.Submit(0, DnsType::kA, "silent.test",
           [&done](const DnsAnswer&) { ++done; });
  ASSERT_TRUE(p.Run(Deadline::After(std::chrono::seconds(30)), &stop).ok());
  // Stopped before anything ran past the first send.
  EXPECT_LE(done, 1);
}

TEST(DnsProberTest, UnusableResolverAnswersOther) {
  Responder r(std::chrono::milliseconds(0));
  DnsProber p(DnsProber::Options{});
  NameServer bad;
  bad.address = "fe80::1%nosuchif0";
  bad.ipv6 = true;
  // c-ares 1.18 rejects scoped addresses ("Misformatted string"), so no
  // packet can leave for the link-local address.
  Status st = p.Init({bad, r.server()});
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message(),
            "c-ares server fe80::1%nosuchif0: Misformatted string");
  std::vector<std::string> got(2);
  p.Submit(0, DnsType::kA, "ok.test",
           [&got](const DnsAnswer& a) { got[0] = DnsResultName(a.result); });
  p.Submit(1, DnsType::kA, "ok.test",
           [&got](const DnsAnswer& a) { got[1] = DnsResultName(a.result); });
  ASSERT_TRUE(p.Run(Deadline::After(std::chrono::seconds(5))).ok());
  EXPECT_EQ(got[1], "ok");
  EXPECT_EQ(got[0], "other");
}

}  // namespace
}  // namespace mailflow
