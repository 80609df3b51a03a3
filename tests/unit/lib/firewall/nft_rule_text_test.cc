// NftRuleText against what `nft list ruleset` printed for the same rules
// (nft 1.0.6, Debian 12; counters without their numbers).
#include "lib/firewall/nft_rule_text.h"

#include <gtest/gtest.h>

#include "lib/firewall/nft_evaluator.h"
#include "tests/support/fixture.h"

namespace mailflow::firewall {
namespace {

using nlohmann::json;

std::string Text(const char* expr) { return NftRuleText(json::parse(expr)); }

TEST(NftRuleTextTest, AsNftPrintsIt) {
  EXPECT_EQ(Text(R"([{"match": {"op": "in", "left": {"ct": {"key": "state"}},
      "right": ["established", "related"]}}, {"accept": null}])"),
            "ct state established,related accept");
  EXPECT_EQ(Text(R"([{"match": {"op": "==", "left": {"meta": {"key": "iif"}},
      "right": "lo"}}, {"accept": null}])"),
            "iif \"lo\" accept");
  EXPECT_EQ(Text(R"([{"match": {"op": "==", "left": {"payload":
      {"protocol": "tcp", "field": "dport"}}, "right": {"set": [{"range":
      [400, 500]}, {"range": [2500, 2600]}]}}}, {"reject": {"type":
      "tcp reset"}}])"),
            "tcp dport { 400-500, 2500-2600 } reject with tcp reset");
  EXPECT_EQ(Text(R"([{"match": {"op": "==", "left": {"payload": {"protocol":
      "tcp", "field": "dport"}}, "right": 587}}, {"counter": {"packets": 0,
      "bytes": 0}}, {"reject": {"type": "icmpx", "expr":
      "port-unreachable"}}])"),
            "tcp dport 587 counter reject");
  EXPECT_EQ(Text(R"([{"match": {"op": "==", "left": {"payload": {"protocol":
      "tcp", "field": "dport"}}, "right": 465}}, {"reject": {"type": "icmpx",
      "expr": "admin-prohibited"}}])"),
            "tcp dport 465 reject with icmpx admin-prohibited");
  EXPECT_EQ(Text(R"([{"match": {"op": "==", "left": {"payload": {"protocol":
      "ip", "field": "saddr"}}, "right": {"prefix": {"addr": "10.0.0.0",
      "len": 8}}}}, {"match": {"op": "==", "left": {"payload": {"protocol":
      "tcp", "field": "dport"}}, "right": "@smtp_ports"}}, {"accept": null}])"),
            "ip saddr 10.0.0.0/8 tcp dport @smtp_ports accept");
  EXPECT_EQ(Text(R"([{"vmap": {"key": {"payload": {"protocol": "tcp", "field":
      "dport"}}, "data": {"set": [[25, {"accept": null}], [587, {"drop":
      null}]]}}}])"),
            "tcp dport vmap { 25 : accept, 587 : drop }");
  EXPECT_EQ(Text(R"([{"match": {"op": "==", "left": {"payload": {"protocol":
      "tcp", "field": "dport"}}, "right": 26}}, {"limit": {"rate": 10,
      "burst": 5, "per": "second"}}, {"accept": null}])"),
            "tcp dport 26 limit rate 10/second accept");
  EXPECT_EQ(Text(R"([{"match": {"op": "!=", "left": {"payload": {"protocol":
      "tcp", "field": "dport"}}, "right": 27}}, {"log": {"prefix": "x: "}},
      {"drop": null}])"),
            "tcp dport != 27 log prefix \"x: \" drop");
  EXPECT_EQ(Text(R"([{"match": {"op": "==", "left": {"meta": {"key":
      "l4proto"}}, "right": "tcp"}}, {"jump": {"target": "other"}}])"),
            "meta l4proto tcp jump other");
  EXPECT_EQ(Text(R"([{"counter": null}, {"xt": {"type": "target", "name":
      "REJECT"}}])"),
            "counter xt target REJECT");
}

TEST(NftRuleTextTest, OddInputNeverThrows) {
  EXPECT_EQ(Text("{}"), "<rule>");
  EXPECT_EQ(Text(R"([{"frobnicate": {}}, 5, {"match": {"op": 3}}])"),
            "<frobnicate> <statement> <rule>");
  std::string long_rule = "[";
  for (int i = 0; i < 100; ++i) long_rule += R"({"counter": null},)";
  long_rule += R"({"drop": null}])";
  const std::string t = Text(long_rule.c_str());
  EXPECT_EQ(t.size(), kMaxRuleTextChars + 3);
  EXPECT_TRUE(t.ends_with("..."));
}

// The evaluator names the rule that decided, in nft's syntax.
TEST(NftRuleTextTest, EvaluatorKeepsTheDecidingRule) {
  NftEvaluator ev;
  std::string err;
  ASSERT_TRUE(ev.Load(
      test::ReadSourceFile("tests/fixtures/firewall/reject_tcp_reset.json"),
      &err))
      << err;
  Outcome o = ev.EvaluatePort(25, true);
  EXPECT_EQ(o.rule, "tcp dport 25 reject with tcp reset");
  EXPECT_EQ(ev.EvaluatePort(587, true).rule, "tcp dport 587 counter reject");
  ASSERT_TRUE(ev.Load(
      test::ReadSourceFile("tests/fixtures/firewall/drop_policy.json"), &err))
      << err;
  o = ev.EvaluatePort(587, true);
  EXPECT_EQ(o.where, "policy of inet t input");
  EXPECT_EQ(o.rule, "");
}

}  // namespace
}  // namespace mailflow::firewall
