#include "collectors/postfix/config_findings.h"

#include <gtest/gtest.h>

#include "lib/postfix/inet_services.h"

namespace mailflow {
namespace {

TEST(RelayRestrictionsTest, Safe) {
  EXPECT_TRUE(RelayRestrictionsSafe(
      "permit_mynetworks, permit_sasl_authenticated, defer_unauth_destination",
      ""));
  EXPECT_TRUE(
      RelayRestrictionsSafe("", "permit_mynetworks reject_unauth_destination"));
  // A bare permit first opens the relay list; the recipient list still
  // blocks.
  EXPECT_TRUE(RelayRestrictionsSafe("permit", "reject_unauth_destination"));
  EXPECT_TRUE(RelayRestrictionsSafe(
      "check_client_access hash:/etc/postfix/access,reject_unauth_destination",
      ""));
}

TEST(RelayRestrictionsTest, Unsafe) {
  EXPECT_FALSE(RelayRestrictionsSafe("", ""));
  EXPECT_FALSE(RelayRestrictionsSafe("permit", ""));
  EXPECT_FALSE(RelayRestrictionsSafe("permit_mynetworks permit", ""));
  EXPECT_FALSE(RelayRestrictionsSafe("permit reject_unauth_destination",
                                     "permit, reject_unauth_destination"));
  EXPECT_FALSE(RelayRestrictionsSafe("reject_unauth_pipelining", ""));
}

TEST(NetworksTest, Classify) {
  bool pub = false;
  ASSERT_TRUE(ClassifyNetwork("127.0.0.0/8", &pub));
  EXPECT_FALSE(pub);
  ASSERT_TRUE(ClassifyNetwork("[::1]/128", &pub));
  EXPECT_FALSE(pub);
  ASSERT_TRUE(ClassifyNetwork("10.1.2.0/24", &pub));
  EXPECT_FALSE(pub);
  ASSERT_TRUE(ClassifyNetwork("192.168.1.5", &pub));
  EXPECT_FALSE(pub);
  ASSERT_TRUE(ClassifyNetwork("[fd00::]/8", &pub));
  EXPECT_FALSE(pub);
  ASSERT_TRUE(ClassifyNetwork("[::ffff:127.0.0.0]/104", &pub));
  EXPECT_FALSE(pub);
  ASSERT_TRUE(ClassifyNetwork("[::ffff:0.0.0.0]/96", &pub));
  EXPECT_TRUE(pub);
  ASSERT_TRUE(ClassifyNetwork("0.0.0.0/0", &pub));
  EXPECT_TRUE(pub);
  // Wider than the private range: reaches public space.
  ASSERT_TRUE(ClassifyNetwork("172.16.0.0/11", &pub));
  EXPECT_TRUE(pub);
  ASSERT_TRUE(ClassifyNetwork("198.51.100.0/24", &pub));
  EXPECT_TRUE(pub);
  ASSERT_TRUE(ClassifyNetwork("[2001:db8::]/32", &pub));
  EXPECT_TRUE(pub);
  EXPECT_FALSE(ClassifyNetwork("hash:/etc/postfix/network_table", &pub));
  EXPECT_FALSE(ClassifyNetwork("/etc/postfix/networks", &pub));
  EXPECT_FALSE(ClassifyNetwork("10.0.0.0/33", &pub));
  EXPECT_FALSE(ClassifyNetwork("10.0.0.0/", &pub));
  EXPECT_EQ(CountPublicNetworks({"127.0.0.0/8", "0.0.0.0/0", "[::1]/128",
                                 "203.0.113.7", "cidr:/x"}),
            2);
}

TEST(PolicyServicesTest, GreylistingHeuristic) {
  auto p = FindPolicyServices(
      {"permit_mynetworks, reject_unauth_destination, check_policy_service "
       "inet:127.0.0.1:10023"});
  EXPECT_EQ(p.count, 1);
  EXPECT_TRUE(p.greylisting);
  p = FindPolicyServices(
      {"check_policy_service unix:private/policyd-spf", "",
       "check_policy_service { unix:private/sqlgrey, timeout=10s }"});
  EXPECT_EQ(p.count, 2);
  EXPECT_TRUE(p.greylisting);
  p = FindPolicyServices({"check_policy_service unix:private/policyd-spf"});
  EXPECT_EQ(p.count, 1);
  EXPECT_FALSE(p.greylisting);
  p = FindPolicyServices({"permit_mynetworks reject_unauth_destination"});
  EXPECT_EQ(p.count, 0);
}

TEST(InetInterfacesTest, LoopbackOnly) {
  EXPECT_TRUE(IsLoopbackOnly("loopback-only"));
  EXPECT_TRUE(IsLoopbackOnly("localhost"));
  EXPECT_TRUE(IsLoopbackOnly("127.0.0.1, [::1]"));
  EXPECT_TRUE(IsLoopbackOnly("127.0.0.2 ::1"));
  EXPECT_FALSE(IsLoopbackOnly("all"));
  EXPECT_FALSE(IsLoopbackOnly("127.0.0.1, 192.0.2.10"));
  EXPECT_FALSE(IsLoopbackOnly("mail.example.com"));
  EXPECT_FALSE(IsLoopbackOnly(""));
}

}  // namespace
}  // namespace mailflow
