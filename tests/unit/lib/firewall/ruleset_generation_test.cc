// The change signals against the kernel, in a network namespace of the test's
// own (a thread that unshares its network namespace; the commands it runs
// inherit it). Needs root (CAP_SYS_ADMIN for unshare, CAP_NET_ADMIN for the
// rulesets), as the integration tests do; skipped otherwise.
#include "lib/firewall/ruleset_generation.h"

#include <gtest/gtest.h>
#include <linux/capability.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdlib>
#include <functional>
#include <thread>

namespace mailflow::firewall {
namespace {

// /proc/self/net is the namespace of the process's main thread; the test's
// thread has its own.
constexpr const char* kThreadProc = "/proc/thread-self";

// Runs `body` on a thread in a fresh network namespace.
void InFreshNetns(const std::function<void()>& body) {
  std::thread t([&] {
    if (unshare(CLONE_NEWNET) != 0) {
      ADD_FAILURE() << "unshare(CLONE_NEWNET) failed";
      return;
    }
    body();
  });
  t.join();
}

bool Shell(const std::string& command) {
  return std::system((command + " >/dev/null 2>&1").c_str()) == 0;
}

uint32_t Generation() {
  uint32_t g = 0;
  std::string err;
  EXPECT_TRUE(ReadNftGeneration(&g, &err)) << err;
  return g;
}

uint64_t Fingerprint() {
  uint64_t f = 0;
  std::string err;
  EXPECT_TRUE(ReadXtablesFingerprint(kThreadProc, &f, &err)) << err;
  return f;
}

class RulesetGenerationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root for a network namespace";
  }
};

TEST_F(RulesetGenerationTest, EveryNftablesCommitMovesTheGeneration) {
  if (!Shell("command -v nft")) GTEST_SKIP() << "no nft";
  InFreshNetns([] {
    const uint32_t g0 = Generation();
    EXPECT_EQ(Generation(), g0);  // reading does not move it
    ASSERT_TRUE(Shell("nft add table inet t"));
    const uint32_t g1 = Generation();
    EXPECT_NE(g1, g0);
    ASSERT_TRUE(Shell("nft add set inet t s '{ type ipv4_addr; }'"));
    const uint32_t g2 = Generation();
    EXPECT_NE(g2, g1);
    ASSERT_TRUE(Shell("nft add element inet t s '{ 192.0.2.1 }'"));
    EXPECT_NE(Generation(), g2);  // set elements too
  });
}

TEST_F(RulesetGenerationTest, TheXtablesFingerprintFollowsRulesNotTraffic) {
  if (!Shell("command -v iptables-legacy"))
    GTEST_SKIP() << "no iptables-legacy";
  InFreshNetns([] {
    EXPECT_EQ(Fingerprint(), 0u);  // no legacy table in a new namespace
    ASSERT_TRUE(Shell("iptables-legacy -A INPUT -p tcp --dport 25 -j ACCEPT"));
    const uint64_t accept = Fingerprint();
    EXPECT_NE(accept, 0u);
    // The same rule with another verdict: same size, other fingerprint.
    ASSERT_TRUE(Shell("iptables-legacy -R INPUT 1 -p tcp --dport 25 -j DROP"));
    const uint64_t drop = Fingerprint();
    EXPECT_NE(drop, accept);
    ASSERT_TRUE(
        Shell("iptables-legacy -R INPUT 1 -p tcp --dport 25 -j ACCEPT"));
    EXPECT_EQ(Fingerprint(), accept);
    // Counters are traffic, not rules.
    ASSERT_TRUE(Shell("iptables-legacy -Z"));
    ASSERT_TRUE(Shell("iptables-legacy -t filter -L -n -v -x"));
    ASSERT_TRUE(Shell("ip link set lo up"));
    ASSERT_TRUE(Shell(
        "python3 -c \"import socket; socket.socket().connect_ex(('127.0.0.1', "
        "25))\""));
    ASSERT_TRUE(
        Shell("iptables-legacy -L INPUT -v -n -x | grep -q '^ *[1-9]'"));
    EXPECT_EQ(Fingerprint(), accept);
    ASSERT_TRUE(Shell("ip6tables-legacy -P INPUT DROP"));
    EXPECT_NE(Fingerprint(), accept);  // IPv6 tables count too
  });
}

TEST_F(RulesetGenerationTest, WithoutCapNetAdminTheSignalsFailClearly) {
  InFreshNetns([] {
    if (Shell("command -v iptables-legacy")) {
      ASSERT_TRUE(Shell("iptables-legacy -A INPUT -j ACCEPT"));
    }
    // Capabilities are per thread: drop CAP_NET_ADMIN from this one's
    // effective set.
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
    ASSERT_EQ(syscall(SYS_capget, &header, data), 0);
    data[CAP_TO_INDEX(CAP_NET_ADMIN)].effective &= ~CAP_TO_MASK(CAP_NET_ADMIN);
    ASSERT_EQ(syscall(SYS_capset, &header, data), 0);
    uint32_t g = 0;
    std::string err;
    EXPECT_FALSE(ReadNftGeneration(&g, &err));
    EXPECT_EQ(err,
              "nftables generation: NFT_MSG_GETGEN: Operation not permitted");
    if (Shell("command -v iptables-legacy")) {
      uint64_t f = 0;
      EXPECT_FALSE(ReadXtablesFingerprint(kThreadProc, &f, &err));
      EXPECT_EQ(err,
                "iptables-legacy fingerprint: table filter: get info: "
                "Operation not permitted");
    }
  });
}

}  // namespace
}  // namespace mailflow::firewall
