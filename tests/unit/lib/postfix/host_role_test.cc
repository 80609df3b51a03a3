#include "lib/postfix/host_role.h"

#include <gtest/gtest.h>

namespace mailflow::postfix {
namespace {

RoleGuess Guess(const std::string& main_cf, const std::string& master_cf) {
  PostfixConfig c;
  c.main = MainCf::Parse(main_cf, "main.cf");
  c.master = MasterCf::Parse(master_cf, "master.cf");
  return GuessHostRole(c, InetServices(c), "box");
}

const char kSmtp[] = "smtp inet n - y - - smtpd\n";
const char kSubmission[] =
    "#smtp inet n - y - - smtpd\nsubmission inet n - y - - smtpd\n";

TEST(HostRoleTest, NullClientByTheBook) {
  // STANDARD_CONFIGURATION_README's null client.
  RoleGuess g = Guess(
      "myhostname = host.example.com\nmyorigin = $mydomain\n"
      "relayhost = $mydomain\ninet_interfaces = loopback-only\n"
      "mydestination =\n",
      kSmtp);
  EXPECT_EQ(g.role, HostRole::kNullClient);
  EXPECT_EQ(g.reason,
            "no smtpd service accepts mail from other hosts (inet_interfaces = "
            "loopback-only), no domain of its own");
}

TEST(HostRoleTest, DebianLocalOnlyAndSatellite) {
  // Debian's "Local only": the mail name in mydestination, nothing leaves.
  EXPECT_EQ(
      Guess("myhostname = vm\nmydestination = example.org, $myhostname, "
            "vm, localhost.localdomain, localhost\n"
            "inet_interfaces = loopback-only\ndefault_transport = error\n",
            kSmtp)
          .role,
      HostRole::kNullClient);
  // "Satellite system": everything to the relayhost.
  RoleGuess g = Guess(
      "myhostname = sat.example.org\nmydestination = "
      "$myhostname, example.org, localhost\n"
      "relayhost = [smtp.example.net]:587\n"
      "inet_interfaces = loopback-only\n",
      kSmtp);
  EXPECT_EQ(g.role, HostRole::kNullClient);
  EXPECT_EQ(g.reason,
            "no smtpd service accepts mail from other hosts (inet_interfaces = "
            "loopback-only), relayhost = [smtp.example.net]:587");
}

TEST(HostRoleTest, AnMxWithItsSmtpdOffIsStillAnMx) {
  // The incident: loopback-only by mistake on a domain's mail server.
  RoleGuess g = Guess(
      "myhostname = mx.example.org\nmydestination = "
      "$myhostname, example.org, localhost\n"
      "inet_interfaces = loopback-only\n",
      kSmtp);
  EXPECT_EQ(g.role, HostRole::kMx);
  EXPECT_EQ(g.reason,
            "it is the destination of example.org (though no smtpd service "
            "accepts mail from other hosts)");
  // Hosted (virtual) domains make an MX even with a relayhost.
  EXPECT_EQ(
      Guess("virtual_mailbox_domains = example.net\n"
            "relayhost = [smtp.example.net]\ninet_interfaces = 127.0.0.1\n",
            kSmtp)
          .role,
      HostRole::kMx);
}

TEST(HostRoleTest, SubmissionOnly) {
  RoleGuess g = Guess("myhostname = submit.example.org\n", kSubmission);
  EXPECT_EQ(g.role, HostRole::kSubmission);
  EXPECT_EQ(g.reason,
            "port 25 takes no mail from other hosts, submission (587) does");
  // The same master.cf on a domain's mail server: an MX missing port 25.
  EXPECT_EQ(Guess("mydestination = example.org\n", kSubmission).role,
            HostRole::kMx);
}

TEST(HostRoleTest, OrdinaryMx) {
  RoleGuess g = Guess("myhostname = mx.example.org\n", kSmtp);
  EXPECT_EQ(g.role, HostRole::kMx);
  EXPECT_EQ(g.reason, "smtpd accepts mail from other hosts on port 25");
  // relay_domains defaults to $mydestination below compatibility level 2:
  // only an explicit value counts as hosted.
  EXPECT_EQ(Guess("mydestination = $myhostname, localhost\n"
                  "inet_interfaces = loopback-only\nrelayhost = [r]\n",
                  kSmtp)
                .role,
            HostRole::kNullClient);
}

TEST(HostRoleTest, Names) {
  HostRole r;
  EXPECT_TRUE(ParseHostRole("null_client", &r));
  EXPECT_EQ(r, HostRole::kNullClient);
  EXPECT_FALSE(ParseHostRole("nullclient", &r));
  EXPECT_STREQ(HostRoleName(HostRole::kSubmission), "submission");
}

}  // namespace
}  // namespace mailflow::postfix
