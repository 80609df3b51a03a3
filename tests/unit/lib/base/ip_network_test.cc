#include "lib/base/ip_network.h"

#include <gtest/gtest.h>

#include "lib/base/interfaces.h"

namespace mailflow {
namespace {

TEST(IpNetworkTest, Parse) {
  IpNetwork n;
  ASSERT_TRUE(ParseIpNetwork("192.0.2.1", &n));
  EXPECT_EQ(n.bits, 32);
  EXPECT_EQ(n.ToString(), "192.0.2.1/32");
  ASSERT_TRUE(ParseIpNetwork("[2001:db8::]/32", &n));
  EXPECT_EQ(n.ToString(), "2001:db8::/32");
  ASSERT_TRUE(ParseIpNetwork("[::ffff:127.0.0.0]/104", &n));
  EXPECT_EQ(n.ToString(), "127.0.0.0/8");
  EXPECT_FALSE(ParseIpNetwork("10.0.0.0/33", &n));
  EXPECT_FALSE(ParseIpNetwork("10.0.0.0/", &n));
  EXPECT_FALSE(ParseIpNetwork("hash:/etc/postfix/x", &n));
  EXPECT_FALSE(ParseIpNetwork("mx.example.org", &n));
}

TEST(IpNetworkTest, ContainsAndPrivate) {
  IpNetwork a, b;
  ASSERT_TRUE(ParseIpNetwork("172.16.0.0/12", &a));
  ASSERT_TRUE(ParseIpNetwork("172.31.255.0/24", &b));
  EXPECT_TRUE(a.Contains(b));
  EXPECT_FALSE(b.Contains(a));
  EXPECT_TRUE(IsPrivateNetwork(b));
  ASSERT_TRUE(ParseIpNetwork("172.16.0.0/11", &b));
  EXPECT_FALSE(IsPrivateNetwork(b));  // wider than the private range
  ASSERT_TRUE(ParseIpNetwork("[fd00::1]", &b));
  EXPECT_TRUE(IsPrivateNetwork(b));
}

TEST(InterfacesTest, LoopbackIsListed) {
  std::vector<InterfaceAddress> ifs;
  std::string err;
  ASSERT_TRUE(ListInterfaceAddresses(&ifs, &err)) << err;
  bool lo = false;
  for (const auto& a : ifs) {
    if (a.address() == "127.0.0.1") {
      lo = a.loopback && a.network.bits == 8;
    }
  }
  EXPECT_TRUE(lo);
}

}  // namespace
}  // namespace mailflow
