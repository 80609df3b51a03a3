// PostfixFindings from a snapshot of Debian 12's stock main.cf and
// master.cf (tests/fixtures/postfix), as the collector builds it.
#include "collectors/postfix/postfix_diagnosis.h"

#include <gtest/gtest.h>

#include "tests/support/fixture.h"

namespace mailflow {
namespace {

PostfixObservation Debian(const std::string& main_extra = "") {
  auto snap = std::make_shared<PostfixSnapshot>();
  snap->config.config_directory = "/etc/postfix";
  snap->config.main = postfix::MainCf::Parse(
      test::ReadSourceFile("tests/fixtures/postfix/main/debian12.cf") +
          main_extra,
      "/etc/postfix/main.cf");
  snap->config.master = postfix::MasterCf::Parse(
      test::ReadSourceFile("tests/fixtures/postfix/master/debian12.cf"),
      "/etc/postfix/master.cf");
  snap->queue_directory = "/var/spool/postfix";
  snap->inet_services = InetServices(snap->config);
  PostfixObservation o;
  o.snapshot = snap;
  o.watched_ports = {25, 587, 465};
  o.host_etc = "/etc";
  o.master.liveness = MasterLiveness::kUp;
  o.master.method = "lock";
  o.master.running = true;
  o.master.pid = 812;
  o.master.pid_file = "/var/spool/postfix/pid/master.pid";
  o.relay_safe = {{"smtp", true}};
  return o;
}

std::vector<Finding> Of(Step step, const PostfixObservation& o) {
  std::vector<Finding> all, out;
  PostfixFindings(FactsOf(o), &all);
  for (auto& f : all) {
    if (f.step == step) out.push_back(f);
  }
  return out;
}

TEST(PostfixFindingsTest, StockDebianIsHealthy) {
  PostfixObservation o = Debian();
  std::vector<Finding> all;
  PostfixFindings(FactsOf(o), &all);
  for (const Finding& f : all) {
    EXPECT_EQ(f.status, CheckStatus::kOk) << f.subject << ": " << f.summary;
  }
  auto services = Of(Step::kServices, o);
  ASSERT_EQ(services.size(), 3u);
  EXPECT_EQ(services[0].summary, "smtp is enabled");
  EXPECT_EQ(services[0].evidence[0].source, "/etc/postfix/master.cf:12");
  EXPECT_EQ(services[0].evidence[0].text.substr(0, 10), "smtp      ");
  EXPECT_NE(services[1].summary.find("commented out in master.cf (as shipped)"),
            std::string::npos);
  auto relay = Of(Step::kOpenRelay, o);
  ASSERT_EQ(relay.size(), 1u);
  EXPECT_EQ(relay[0].evidence[0].text,
            "mynetworks = 127.0.0.0/8 [::ffff:127.0.0.0]/104 [::1]/128");
  EXPECT_EQ(relay[0].evidence[0].source, "/etc/postfix/main.cf:32");
}

TEST(PostfixFindingsTest, MasterDownAndJailFiles) {
  PostfixObservation o = Debian();
  o.master = MasterStatus{};
  o.master.liveness = MasterLiveness::kDown;
  o.master.method = "pid_file";
  o.master.detail = "/var/spool/postfix/pid/master.pid: No such file";
  o.master.pid_file = "/var/spool/postfix/pid/master.pid";
  o.chroot_files = {{"etc/resolv.conf", true, false},
                    {"etc/hosts", false, true},
                    {"etc/services", false, false}};
  auto running = Of(Step::kPostfixRunning, o);
  ASSERT_EQ(running.size(), 1u);
  EXPECT_EQ(running[0].status, CheckStatus::kFail);
  EXPECT_EQ(running[0].apply, "postfix start");
  auto jail = Of(Step::kChroot, o);
  ASSERT_EQ(jail.size(), 3u);
  EXPECT_EQ(jail[0].summary,
            "the jail has no copy of etc/resolv.conf: chrooted daemons do "
            "without them");
  EXPECT_EQ(jail[0].fix,
            "mkdir -p /var/spool/postfix/etc && cp -p /etc/resolv.conf "
            "/var/spool/postfix/etc/resolv.conf");
  EXPECT_EQ(jail[1].fix, "cp -p /etc/hosts /var/spool/postfix/etc/hosts");
  EXPECT_EQ(jail[2].status, CheckStatus::kOk);
  EXPECT_EQ(jail[2].evidence[0].text.substr(0, 40),
            "chrooted: smtp/inet, pickup/unix, cleanu");
}

TEST(PostfixFindingsTest, OpenRelayAndConfigErrors) {
  PostfixObservation o = Debian("mynetworks = 0.0.0.0/0 10.0.0.0/8\nbroken\n");
  o.relay_safe = {{"smtp", false}};
  auto relay = Of(Step::kOpenRelay, o);
  ASSERT_EQ(relay.size(), 2u);
  EXPECT_EQ(relay[0].status, CheckStatus::kFail);
  EXPECT_NE(relay[0].summary.find("(0.0.0.0/0)"), std::string::npos);
  EXPECT_EQ(relay[0].evidence[0].text, "mynetworks = 0.0.0.0/0 10.0.0.0/8");
  EXPECT_EQ(relay[1].subject, "smtp");
  auto running = Of(Step::kPostfixRunning, o);
  ASSERT_EQ(running.size(), 2u);
  EXPECT_EQ(running[1].status, CheckStatus::kWarn);
  EXPECT_EQ(running[1].subject.substr(0, 21), "/etc/postfix/main.cf:");
}

// As the alerts: a public host trusted warns, this host's own address does
// not count, a whole public network fails.
TEST(PostfixFindingsTest, MynetworksTiersFollowTheAlerts) {
  PostfixObservation o = Debian(
      "mynetworks = 127.0.0.0/8 192.0.2.7/32 198.51.100.0/24 203.0.113.5\n");
  IpNetwork own;
  ASSERT_TRUE(ParseIpNetwork("203.0.113.5/24", &own));
  o.interfaces = {own};
  auto relay = Of(Step::kOpenRelay, o);
  ASSERT_EQ(relay.size(), 2u);
  EXPECT_EQ(relay[0].status, CheckStatus::kFail);
  EXPECT_EQ(relay[0].summary,
            "mynetworks trusts public networks (198.51.100.0/24): every host "
            "in them may relay mail through this server");
  EXPECT_FALSE(relay[0].fix.empty());
  EXPECT_EQ(relay[1].status, CheckStatus::kWarn);
  EXPECT_EQ(relay[1].summary,
            "mynetworks trusts public hosts or small networks (192.0.2.7/32): "
            "each may relay mail through this server; keep only those that "
            "are yours");
}

}  // namespace
}  // namespace mailflow
