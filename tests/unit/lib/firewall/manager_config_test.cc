#include "lib/firewall/manager_config.h"

#include <gtest/gtest.h>

namespace mailflow::firewall {
namespace {

std::string Show(const Outcome& o) {
  std::string s(VerdictName(o.verdict));
  if (o.verdict == Verdict::kConditional)
    s += "/" + std::string(ReasonName(o.reason));
  return s;
}

TEST(PortSpec, Covers) {
  EXPECT_TRUE(PortSpecCovers("25", 25));
  EXPECT_TRUE(PortSpecCovers("any", 25));
  EXPECT_TRUE(PortSpecCovers("80,25", 25));
  EXPECT_TRUE(PortSpecCovers("20:30", 25));
  EXPECT_TRUE(PortSpecCovers("20-30", 25));
  EXPECT_FALSE(PortSpecCovers("250", 25));
  EXPECT_FALSE(PortSpecCovers("", 25));
  EXPECT_FALSE(PortSpecCovers("x:y", 25));
}

TEST(Ufw, Rules) {
  UfwConfig c;
  ParseUfwConfig("ENABLED=yes\n", "DEFAULT_INPUT_POLICY=\"DROP\"\n",
                 "### tuple ### allow tcp 25 0.0.0.0/0 any 0.0.0.0/0 in\n"
                 "-A ufw-user-input -p tcp --dport 25 -j ACCEPT\n"
                 "### tuple ### allow tcp 587 0.0.0.0/0 any 10.0.0.3 in\n"
                 "### tuple ### reject tcp 465 0.0.0.0/0 any 0.0.0.0/0 in\n"
                 "### tuple ### limit tcp 2525 0.0.0.0/0 any 0.0.0.0/0 in\n"
                 "### tuple ### allow tcp 26 0.0.0.0/0 any 0.0.0.0/0 in_eth1\n"
                 "### tuple ### deny tcp 27 0.0.0.0/0 any 0.0.0.0/0 out\n",
                 "### tuple ### allow any 28 ::/0 any ::/0 Postfix - in\n", &c);
  EXPECT_TRUE(c.enabled);
  ASSERT_EQ(c.rules.size(), 6u);
  EXPECT_EQ(Show(UfwVerdict(c, 25)), "accept");
  EXPECT_EQ(Show(UfwVerdict(c, 587)), "conditional/source_address");
  EXPECT_EQ(Show(UfwVerdict(c, 465)), "reject");
  EXPECT_EQ(Show(UfwVerdict(c, 2525)), "conditional/rate_limit");
  EXPECT_EQ(Show(UfwVerdict(c, 26)), "conditional/interface");
  EXPECT_EQ(Show(UfwVerdict(c, 27)), "drop");  // outbound rule: default
  EXPECT_EQ(Show(UfwVerdict(c, 28)), "accept");
  Outcome o = UfwVerdict(c, 99);
  EXPECT_EQ(o.where, "ufw default incoming policy");
  UfwConfig d;
  ParseUfwConfig("ENABLED=no\n", "DEFAULT_INPUT_POLICY=\"ACCEPT\"\n", "", "",
                 &d);
  EXPECT_FALSE(d.enabled);
  EXPECT_EQ(Show(UfwVerdict(d, 25)), "accept");
}

TEST(Firewalld, Zones) {
  FirewalldZone z;
  ASSERT_TRUE(ParseFirewalldZone(R"(<?xml version="1.0" encoding="utf-8"?>
<zone>
  <short>Public</short>
  <!-- <service name="smtp"/> -->
  <service name="ssh"/>
  <service name="submission"/>
  <port port="2500-2600" protocol="tcp"/>
  <rule family="ipv4">
    <source address="10.0.0.3"/>
    <port port="465" protocol="tcp"/>
    <accept/>
  </rule>
</zone>)",
                                 &z));
  EXPECT_EQ(z.target, "default");
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> svc;
  std::vector<std::pair<std::string, std::string>> ports;
  ASSERT_TRUE(ParseFirewalldService(
      R"(<service><short>SMTP-Submission</short><port protocol="tcp" port="587"/></service>)",
      &ports));
  svc["submission"] = ports;
  EXPECT_EQ(Show(FirewalldZoneVerdict(z, 587, svc)), "accept");
  EXPECT_EQ(Show(FirewalldZoneVerdict(z, 2525, svc)), "accept");
  EXPECT_EQ(Show(FirewalldZoneVerdict(z, 465, svc)),
            "conditional/source_address");
  EXPECT_EQ(Show(FirewalldZoneVerdict(z, 25, svc)), "reject");
  z.target = "DROP";
  EXPECT_EQ(Show(FirewalldZoneVerdict(z, 25, svc)), "drop");
  EXPECT_FALSE(ParseFirewalldZone("<service/>", &z));
  EXPECT_EQ(FirewalldDefaultZone("# x\nDefaultZone=internal\n"), "internal");
  EXPECT_EQ(FirewalldDefaultZone(""), "public");
}

}  // namespace
}  // namespace mailflow::firewall
