#include "lib/postfix/outbound_route.h"

#include <gtest/gtest.h>

namespace mailflow::postfix {
namespace {

OutboundRoute Route(const std::string& main_cf) {
  return ReadOutboundRoute(MainCf::Parse(main_cf, "main.cf"));
}

TEST(OutboundRouteTest, Relayhosts) {
  EXPECT_EQ(Route("").port, 25);
  EXPECT_EQ(Route("").relayhost, "");
  EXPECT_EQ(Route("smtp_tcp_port = 2525\n").port, 2525);
  OutboundRoute r = Route("relayhost = [smtp.example.net]:587\n");
  EXPECT_EQ(r.relayhost, "[smtp.example.net]:587");
  EXPECT_EQ(r.port, 587);
  EXPECT_EQ(Route("relayhost = [smtp.example.net]\n").port, 25);
  EXPECT_EQ(Route("relayhost = smtp.example.net:submission\n").port, 587);
  EXPECT_EQ(Route("relayhost = [ipv6:2001:db8::1]:465\n").port, 465);
  EXPECT_EQ(Route("relayhost = [ipv6:2001:db8::1]\n").port, 25);
  EXPECT_EQ(Route("mydomain = example.com\nrelayhost = $mydomain\n").relayhost,
            "example.com");
  EXPECT_EQ(Route("relayhost = [a]:2525, [b]:2526\n").port, 2525);
  EXPECT_EQ(Route("relayhost = [a]:nosuchport\n").port, 0);
}

TEST(OutboundRouteTest, ContentFilter) {
  EXPECT_EQ(
      Route("content_filter = smtp-amavis:[127.0.0.1]:10024\n").content_filter,
      "smtp-amavis:[127.0.0.1]:10024");
}

}  // namespace
}  // namespace mailflow::postfix
