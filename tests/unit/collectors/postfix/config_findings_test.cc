#include "collectors/postfix/config_findings.h"

#include <gtest/gtest.h>

#include "lib/postfix/inet_services.h"

namespace mailflow {
namespace {

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
