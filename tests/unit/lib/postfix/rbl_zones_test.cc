#include "lib/postfix/rbl_zones.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "lib/postfix/main_cf.h"

namespace mailflow {
namespace {

postfix::MainCf LoadFixture(const std::string& name) {
  const char* src = std::getenv("MAILFLOW_SOURCE_DIR");
  std::ifstream in(std::string(src ? src : ".") + "/tests/fixtures/dns/" +
                   name);
  std::stringstream ss;
  ss << in.rdbuf();
  return postfix::MainCf::Parse(ss.str(), name);
}

ParamLookup From(const postfix::MainCf& cf) {
  return [&cf](const std::string& n) -> std::optional<std::string> {
    std::string v = cf.Get(n);
    if (v.empty()) return std::nullopt;
    return v;
  };
}

TEST(RblZonesTest, FromMainCf) {
  auto cf = LoadFixture("main_rbl.cf");
  size_t dropped = 99;
  auto zones = ExtractRblZones(From(cf), 20, &dropped);
  EXPECT_EQ(dropped, 0u);
  std::vector<std::string> got;
  for (const auto& z : zones) {
    got.push_back(z.zone + (z.domain_list ? " rhsbl " : " ip ") + z.parameter);
  }
  EXPECT_EQ(got, (std::vector<std::string>{
                     "zen.spamhaus.org ip smtpd_client_restrictions",
                     "bl.spamcop.net ip smtpd_client_restrictions",
                     "dbl.spamhaus.org rhsbl smtpd_recipient_restrictions",
                     "multi.uribl.com rhsbl smtpd_recipient_restrictions",
                     "list.dnswl.org ip smtpd_recipient_restrictions",
                     "b.barracudacentral.org ip postscreen_dnsbl_sites",
                     "bl.mailspike.net ip postscreen_dnsbl_sites",
                 }));
  EXPECT_EQ(zones[0].TestName(), "2.0.0.127.zen.spamhaus.org");
  EXPECT_EQ(zones[2].TestName(), "test.dbl.spamhaus.org");
}

TEST(RblZonesTest, RestrictionClassesAreSearched) {
  auto cf = postfix::MainCf::Parse(
      "smtpd_restriction_classes = strict\n"
      "strict = reject_rhsbl_sender dbl.example.test\n",
      "main.cf");
  auto zones = ExtractRblZones(From(cf), 20);
  ASSERT_EQ(zones.size(), 1u);
  EXPECT_EQ(zones[0].zone, "dbl.example.test");
  EXPECT_TRUE(zones[0].domain_list);
  EXPECT_EQ(zones[0].parameter, "strict");
}

TEST(RblZonesTest, CapAndDropped) {
  std::string sites;
  for (int i = 0; i < 30; ++i) sites += " z" + std::to_string(i) + ".rbl.test";
  auto cf = postfix::MainCf::Parse("postscreen_dnsbl_sites =" + sites + "\n",
                                   "main.cf");
  size_t dropped = 0;
  auto zones = ExtractRblZones(From(cf), 20, &dropped);
  EXPECT_EQ(zones.size(), 20u);
  EXPECT_EQ(dropped, 10u);
}

TEST(RblZonesTest, NothingConfigured) {
  auto cf = postfix::MainCf::Parse("", "main.cf");
  EXPECT_TRUE(ExtractRblZones(From(cf), 20).empty());
}

TEST(RblZonesTest, IgnoresImplausibleZonesAndDanglingKeyword) {
  auto cf = postfix::MainCf::Parse(
      "smtpd_client_restrictions = reject_rbl_client $bad, "
      "reject_rbl_client nodot, reject_rbl_client\n",
      "main.cf");
  EXPECT_TRUE(ExtractRblZones(From(cf), 20).empty());
}

}  // namespace
}  // namespace mailflow
