#include "lib/smtp/smtp_address.h"

#include <gtest/gtest.h>

namespace mailflow {
namespace {

TEST(ParseHostPortTest, Forms) {
  Endpoint e;
  std::string err;
  ASSERT_TRUE(ParseHostPort("192.0.2.1:25", 0, &e, &err)) << err;
  EXPECT_EQ(e.host, "192.0.2.1");
  EXPECT_EQ(e.port, 25);
  EXPECT_EQ(e.ToString(), "192.0.2.1:25");
  ASSERT_TRUE(ParseHostPort("[192.0.2.1]:submission", 0, &e, &err)) << err;
  EXPECT_EQ(e.port, 587);
  ASSERT_TRUE(ParseHostPort("[2001:DB8::1]:465", 0, &e, &err)) << err;
  EXPECT_EQ(e.host, "2001:db8::1");
  EXPECT_EQ(e.ToString(), "[2001:db8::1]:465");
  EXPECT_EQ(e.addr.ss_family, AF_INET6);
  ASSERT_TRUE(ParseHostPort("[10.0.0.1]", 25, &e, &err)) << err;
  EXPECT_EQ(e.port, 25);
}

TEST(ParseHostPortTest, Errors) {
  Endpoint e;
  std::string err;
  EXPECT_FALSE(ParseHostPort("mx.example.org:25", 0, &e, &err));
  EXPECT_EQ(err,
            "\"mx.example.org:25\": host names are not resolved by the smtp "
            "collector; use an IP address");
  EXPECT_FALSE(ParseHostPort("192.0.2.1", 0, &e, &err));
  EXPECT_EQ(err, "\"192.0.2.1\": missing port (HOST:PORT)");
  EXPECT_FALSE(ParseHostPort("192.0.2.1:0", 0, &e, &err));
  EXPECT_EQ(err, "\"192.0.2.1:0\": bad port \"0\"");
  EXPECT_FALSE(ParseHostPort("192.0.2.1:99999", 0, &e, &err));
  EXPECT_EQ(err, "\"192.0.2.1:99999\": bad port \"99999\"");
  EXPECT_FALSE(ParseHostPort("2001:db8::1:25", 0, &e, &err));
  EXPECT_EQ(err, "\"2001:db8::1:25\": write IPv6 addresses as [ADDRESS]:PORT");
  EXPECT_FALSE(ParseHostPort("[::1", 0, &e, &err));
  EXPECT_EQ(err, "\"[::1\": missing \"]\"");
  EXPECT_FALSE(ParseHostPort("[::1]25", 0, &e, &err));
  EXPECT_EQ(err, "\"[::1]25\": expected \":PORT\" after \"]\"");
  EXPECT_FALSE(ParseHostPort(":25", 0, &e, &err));
  EXPECT_EQ(err, "\":25\": missing address");
  EXPECT_FALSE(ParseHostPort("1.2.3.4/8:25", 0, &e, &err));
  EXPECT_EQ(err, "\"1.2.3.4/8:25\": \"1.2.3.4/8\" is not an IP address");
  EXPECT_FALSE(ParseHostPort("", 0, &e, &err));
}

TEST(ParseRelayhostTest, Forms) {
  std::vector<RelayDestination> d;
  std::string err;
  ASSERT_TRUE(ParseRelayhost("", &d, &err));
  EXPECT_TRUE(d.empty());
  ASSERT_TRUE(ParseRelayhost("[192.0.2.7]:587", &d, &err)) << err;
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].host, "192.0.2.7");
  EXPECT_TRUE(d[0].bracketed);
  EXPECT_EQ(d[0].port, 587);
  ASSERT_TRUE(ParseRelayhost("relay.example, [10.0.0.1]  [::1]:2525", &d, &err))
      << err;
  ASSERT_EQ(d.size(), 3u);
  EXPECT_EQ(d[0].host, "relay.example");
  EXPECT_FALSE(d[0].bracketed);
  EXPECT_EQ(d[0].port, 25);
  EXPECT_EQ(d[1].host, "10.0.0.1");
  EXPECT_EQ(d[2].host, "::1");
  EXPECT_EQ(d[2].port, 2525);
  EXPECT_FALSE(ParseRelayhost("[10.0.0.1]:x", &d, &err));
  EXPECT_EQ(err, "relayhost item \"[10.0.0.1]:x\": bad port \"x\"");
  EXPECT_FALSE(ParseRelayhost("[]:25", &d, &err));
  EXPECT_EQ(err, "relayhost item \"[]:25\": malformed [host]");
}

TEST(CidrTest, Contains) {
  Cidr c;
  std::string err;
  Endpoint in, out, v6;
  ASSERT_TRUE(ParseIpLiteral("10.20.30.40", 25, &in));
  ASSERT_TRUE(ParseIpLiteral("10.21.0.1", 25, &out));
  ASSERT_TRUE(ParseIpLiteral("2001:db8::5", 25, &v6));
  ASSERT_TRUE(ParseCidr("10.20.0.0/16", &c, &err)) << err;
  EXPECT_TRUE(CidrContains(c, in));
  EXPECT_FALSE(CidrContains(c, out));
  EXPECT_FALSE(CidrContains(c, v6));
  ASSERT_TRUE(ParseCidr("10.21.0.1", &c, &err));
  EXPECT_TRUE(CidrContains(c, out));
  EXPECT_FALSE(CidrContains(c, in));
  ASSERT_TRUE(ParseCidr("2001:db8::/33", &c, &err));
  EXPECT_TRUE(CidrContains(c, v6));
  ASSERT_TRUE(ParseCidr("0.0.0.0/0", &c, &err));
  EXPECT_TRUE(CidrContains(c, in));
  EXPECT_FALSE(ParseCidr("10.0.0.0/33", &c, &err));
  EXPECT_EQ(err, "\"10.0.0.0/33\": prefix length above 32");
  EXPECT_FALSE(ParseCidr("10.0.0.0/", &c, &err));
  EXPECT_EQ(err, "\"10.0.0.0/\": bad prefix length");
  EXPECT_FALSE(ParseCidr("example.org/8", &c, &err));
  EXPECT_EQ(err,
            "\"example.org/8\": not an IP network (ADDRESS or ADDRESS/PREFIX)");
}

}  // namespace
}  // namespace mailflow
