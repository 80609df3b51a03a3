#include "lib/postfix/mynetworks.h"

#include <gtest/gtest.h>

namespace mailflow::postfix {
namespace {

IpNetwork Net(const char* text) {
  IpNetwork n;
  EXPECT_TRUE(ParseIpNetwork(text, &n)) << text;
  return n;
}

TEST(MynetworksTest, PrivateAndPublicEntries) {
  const PublicEntries p = ClassifyMynetworks(
      {"127.0.0.0/8", "[::ffff:127.0.0.0]/104", "[::1]/128", "10.0.0.0/8",
       "172.16.0.0/12", "192.168.0.0/16", "[fe80::]/64", "[fc00::]/7",
       "hash:/etc/postfix/network_table", "/etc/postfix/networks",
       "10.0.0.0/33", "10.0.0.0/"},
      {});
  EXPECT_EQ(p.total(), 0);
}

TEST(MynetworksTest, SizesOfPublicEntries) {
  const PublicEntries p =
      ClassifyMynetworks({"0.0.0.0/0", "198.51.100.0/24", "172.16.0.0/11",
                          "203.0.113.0/29", "203.0.113.9", "[2001:db8::]/32",
                          "[2001:db8:1::]/64", "[2001:db8::25]/128"},
                         {});
  EXPECT_EQ(p.wide, 4);    // /0, /24, /11 (wider than 172.16/12), ::/32
  EXPECT_EQ(p.narrow, 2);  // /29, /64
  EXPECT_EQ(p.host, 2);
  EXPECT_EQ(p.entries.front(), "0.0.0.0/0");
}

TEST(MynetworksTest, ThisHostsOwnAddressIsNotAStranger) {
  const std::vector<IpNetwork> own = {Net("198.51.100.7"), Net("2001:db8::7")};
  const PublicEntries p = ClassifyMynetworks(
      {"198.51.100.7", "[2001:db8::7]", "198.51.100.8", "198.51.100.0/24"},
      own);
  EXPECT_EQ(p.host, 1);  // .8, a partner server
  EXPECT_EQ(p.wide, 1);  // the host's /24 trusts its neighbours
}

TEST(MynetworksTest, DerivedFromStyle) {
  const std::vector<IpNetwork> ifs = {
      Net("127.0.0.1/8"), Net("198.51.100.7/24"), Net("2001:db8::7/64")};
  EXPECT_EQ(DerivedMynetworks("host", ifs),
            (std::vector<std::string>{"127.0.0.1/32", "198.51.100.7/32",
                                      "2001:db8::7/128"}));
  EXPECT_EQ(DerivedMynetworks("subnet", ifs),
            (std::vector<std::string>{"127.0.0.0/8", "198.51.100.0/24",
                                      "2001:db8::/64"}));
  EXPECT_EQ(DerivedMynetworks("class", ifs),
            (std::vector<std::string>{"127.0.0.0/8", "198.51.100.0/24",
                                      "2001:db8::/64"}));
  EXPECT_EQ(DerivedMynetworks("class", {Net("100.1.2.3/24")}),
            (std::vector<std::string>{"100.0.0.0/8"}));
  // Derived "host" never counts: the host's own addresses.
  std::vector<IpNetwork> own;
  for (IpNetwork n : ifs) {
    n.bits = n.max_bits();
    own.push_back(n);
  }
  EXPECT_EQ(ClassifyMynetworks(DerivedMynetworks("host", ifs), own).total(), 0);
  EXPECT_EQ(ClassifyMynetworks(DerivedMynetworks("subnet", ifs), own).wide, 1);
}

}  // namespace
}  // namespace mailflow::postfix
