#include "collectors/firewall/firewall_diagnosis.h"

#include <gtest/gtest.h>

namespace mailflow {
namespace {

using firewall::Outcome;
using firewall::Reason;
using firewall::Verdict;

FirewallFacts Facts() {
  FirewallFacts f;
  f.ports = {25, 465, 587};
  f.served = {25, 587};
  f.nftables.present = f.nftables.enabled = f.nftables.readable = true;
  f.nftables.evaluated = true;
  f.nftables.rules = 4;
  f.nftables.verdicts[25] = {Verdict::kDrop, Reason::kNone,
                             "inet filter input handle 7", "tcp dport 25 drop"};
  f.nftables.verdicts[465] = {Verdict::kDrop, Reason::kNone,
                              "policy of inet filter input", ""};
  f.nftables.verdicts[587] = {Verdict::kConditional, Reason::kSourceAddress,
                              "inet filter input handle 9",
                              "ip saddr 10.0.0.0/8 tcp dport 587 accept"};
  return f;
}

TEST(FirewallFindingsTest, RuleAndFixPerPort) {
  std::vector<Finding> out;
  FirewallFindings(Facts(), &out);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].subject, "port 25");
  EXPECT_EQ(out[0].status, CheckStatus::kFail);
  EXPECT_EQ(out[0].evidence[0].text, "tcp dport 25 drop");
  EXPECT_EQ(out[0].evidence[0].source, "nftables: inet filter input handle 7");
  EXPECT_EQ(out[0].fix,
            "nft insert rule inet filter input tcp dport 25 accept");
  EXPECT_EQ(out[0].runbook, "SMTPPortBlockedByFirewall");
  // Not served by Postfix: a drop there is no problem.
  EXPECT_EQ(out[1].status, CheckStatus::kOk);
  EXPECT_EQ(out[1].evidence[0].text, "policy drop");
  EXPECT_EQ(out[2].status, CheckStatus::kOk);
  EXPECT_EQ(out[2].runbook, "SMTPPortConditional");
  EXPECT_EQ(out[2].summary,
            "whether a connection is accepted depends on the client "
            "(source_address)");
}

TEST(FirewallFindingsTest, TheManagerOwnsTheFix) {
  FirewallFacts f = Facts();
  f.ufw.present = f.ufw.enabled = f.ufw.evaluated = true;
  f.ufw.verdicts[25] = {Verdict::kDrop, Reason::kNone, "default incoming deny",
                        ""};
  std::vector<Finding> out;
  FirewallFindings(f, &out);
  EXPECT_EQ(out[0].fix, "ufw allow 25/tcp");
  EXPECT_EQ(out[0].evidence.back().text, "drop");
  EXPECT_EQ(out[0].evidence.back().source,
            "ufw configuration: default incoming deny");
  f.ufw = FirewallBackend();
  f.firewalld.enabled = true;
  out.clear();
  FirewallFindings(f, &out);
  EXPECT_EQ(out[0].fix, "firewall-cmd --permanent --add-service=smtp");
  EXPECT_EQ(out[0].apply, "firewall-cmd --reload");
}

TEST(FirewallFindingsTest, UnreadableOrNoRuleset) {
  FirewallFacts f;
  f.ports = {25};
  f.errors = {
      "cannot read the nftables ruleset: nft: exit status 1: "
      "Operation not permitted; grant CAP_NET_ADMIN"};
  std::vector<Finding> out;
  FirewallFindings(f, &out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0].unchecked);
  f.errors.clear();
  out.clear();
  FirewallFindings(f, &out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].summary, "no firewall ruleset filters incoming connections");
}

}  // namespace
}  // namespace mailflow
