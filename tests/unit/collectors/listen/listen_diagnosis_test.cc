#include "collectors/listen/listen_diagnosis.h"

#include <gtest/gtest.h>

namespace mailflow {
namespace {

ListenFacts Facts() {
  ListenFacts f;
  f.config_directory = "/etc/postfix";
  f.sockets_source = "/proc/net/tcp{,6}";
  f.have_config = true;
  f.main_cf = "/etc/postfix/main.cf";
  f.master_cf = "/etc/postfix/master.cf";
  f.master_running = true;
  f.inet_interfaces = {"inet_interfaces", "loopback-only", 7};
  return f;
}

ListenFacts::Port Port(int port, bool external, bool loopback_host = false) {
  ListenFacts::Port p;
  p.port = port;
  p.watched = true;
  p.sockets.push_back(
      {external ? "0.0.0.0" : "127.0.0.1", false, external, 812, "master"});
  p.services.push_back(
      {loopback_host ? "127.0.0.1:" + std::to_string(port) : "smtp", true,
       loopback_host, 12, "smtp inet n - y - - smtpd"});
  return p;
}

TEST(ListenFindingsTest, SocketLine) {
  EXPECT_EQ(SocketLine({"127.0.0.1", false, false, 812, "master"}, 25),
            "LISTEN 127.0.0.1:25 master[812]");
  EXPECT_EQ(SocketLine({"::", true, true, 0, "unknown"}, 587),
            "LISTEN [::]:587 unknown");
}

TEST(ListenFindingsTest, LoopbackOnlyOn25Fails) {
  ListenFacts f = Facts();
  f.ports = {Port(25, false)};
  std::vector<Finding> out;
  ListenFindings(f, &out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].step, Step::kListening);
  EXPECT_EQ(out[0].status, CheckStatus::kFail);
  EXPECT_EQ(out[0].subject, "port 25");
  EXPECT_EQ(out[0].evidence[0].text, "LISTEN 127.0.0.1:25 master[812]");
  EXPECT_EQ(out[0].evidence[1].text, "inet_interfaces = loopback-only");
  EXPECT_EQ(out[0].evidence[1].source, "/etc/postfix/main.cf:7");
  EXPECT_EQ(out[0].fix,
            "postconf -e 'inet_interfaces = all'   (or this host's public "
            "address)");
  EXPECT_EQ(out[0].apply, "postfix stop && postfix start");
  EXPECT_EQ(out[1].step, Step::kConfigApplied);
  EXPECT_EQ(out[1].status, CheckStatus::kOk);
}

TEST(ListenFindingsTest, LoopbackByDesignIsFine) {
  ListenFacts f = Facts();
  f.ports = {Port(25, true), Port(10025, false, true)};
  f.ports[1].watched = false;
  std::vector<Finding> out;
  ListenFindings(f, &out);
  for (const Finding& x : out)
    EXPECT_EQ(x.status, CheckStatus::kOk) << x.summary;
  EXPECT_EQ(out[1].summary, "listens on loopback, as master.cf asks");
}

TEST(ListenFindingsTest, NotAppliedAndNotRunning) {
  ListenFacts f = Facts();
  f.inet_interfaces.value = "all";
  f.ports = {Port(25, false)};
  f.ports[0].not_external = true;
  std::vector<Finding> out;
  ListenFindings(f, &out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].runbook, "PostfixConfigNotApplied");
  EXPECT_EQ(out[1].status, CheckStatus::kFail);
  EXPECT_EQ(out[1].apply, "postfix stop && postfix start");
  f.master_running = false;
  f.ports[0].sockets.clear();
  out.clear();
  ListenFindings(f, &out);
  EXPECT_EQ(out[0].summary, "nothing listens: Postfix is not running (step 1)");
  EXPECT_EQ(out[1].status, CheckStatus::kSkipped);
  EXPECT_FALSE(out[1].unchecked);
}

TEST(ListenFindingsTest, WithoutTheConfiguration) {
  ListenFacts f = Facts();
  f.have_config = false;
  f.config_error = "/etc/postfix/main.cf: cannot read: No such file";
  f.ports = {Port(25, true)};
  std::vector<Finding> out;
  ListenFindings(f, &out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].status, CheckStatus::kOk);
  EXPECT_TRUE(out[1].unchecked);
  EXPECT_EQ(out[1].summary,
            "cannot compare the sockets with Postfix's configuration: "
            "/etc/postfix/main.cf: cannot read: No such file");
}

}  // namespace
}  // namespace mailflow
