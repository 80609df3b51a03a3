#include "lib/firewall/iptables_save_parser.h"

#include <gtest/gtest.h>

#include "lib/firewall/nft_evaluator.h"

namespace mailflow::firewall {
namespace {

using nlohmann::json;

TEST(IptablesSave, SplitWords) {
  std::vector<std::string> w;
  ASSERT_TRUE(SplitIptablesWords(
      R"(-A INPUT -m comment --comment "allow \"smtp\" in" -j ACCEPT)", &w));
  ASSERT_EQ(w.size(), 8u);
  EXPECT_EQ(w[5], "allow \"smtp\" in");
  EXPECT_FALSE(SplitIptablesWords(R"(-A INPUT --comment "open)", &w));
}

TEST(IptablesSave, TranslatesARule) {
  json objs = json::array();
  std::vector<std::string> tables;
  std::string err;
  ASSERT_TRUE(IptablesSaveToNft(
      "*filter\n:INPUT DROP [0:0]\n"
      "-A INPUT -s 10.0.0.0/8 -p tcp -m tcp --dport 25 -j ACCEPT\nCOMMIT\n",
      "ip", &objs, &tables, &err))
      << err;
  EXPECT_EQ(tables, std::vector<std::string>{"filter"});
  ASSERT_EQ(objs.size(), 3u);
  EXPECT_EQ(
      objs[1].dump(),
      R"({"chain":{"family":"ip","hook":"input","name":"INPUT","policy":"drop","prio":0,"table":"filter","type":"filter"}})");
  EXPECT_EQ(
      objs[2]["rule"]["expr"].dump(),
      R"([{"match":{"left":{"payload":{"field":"saddr","protocol":"ip"}},"op":"==","right":{"prefix":{"addr":"10.0.0.0","len":8}}}},)"
      R"({"match":{"left":{"meta":{"key":"l4proto"}},"op":"==","right":"tcp"}},)"
      R"({"match":{"left":{"payload":{"field":"dport","protocol":"tcp"}},"op":"==","right":25}},{"accept":null}])");
}

TEST(IptablesSave, Errors) {
  json objs = json::array();
  std::string err;
  EXPECT_FALSE(IptablesSaveToNft(
      "*filter\n:INPUT ACCEPT [0:0]\n-A FOO -j DROP\nCOMMIT\n", "ip", &objs,
      nullptr, &err));
  EXPECT_EQ(err, "line 3: rule of undeclared chain FOO");
  EXPECT_FALSE(IptablesSaveToNft("*filter\n:INPUT ACCEPT [0:0]\n", "ip", &objs,
                                 nullptr, &err));
  EXPECT_EQ(err, "line 3: missing COMMIT for table filter");
  EXPECT_FALSE(
      IptablesSaveToNft("-A INPUT -j DROP\n", "ip", &objs, nullptr, &err));
  EXPECT_EQ(err, "line 1: rule or chain outside a table");
  EXPECT_FALSE(
      IptablesSaveToNft("*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp --dport "
                        "x -j DROP\nCOMMIT\n",
                        "ip", &objs, nullptr, &err));
  EXPECT_EQ(err, "line 3: bad port x");
  EXPECT_FALSE(IptablesSaveToNft("*filter\nhello\nCOMMIT\n", "ip", &objs,
                                 nullptr, &err));
  EXPECT_EQ(err, "line 2: expected -A CHAIN, got \"hello\"");
}

std::string Verdicts(const std::string& save, const char* family = "ip") {
  json doc = {{"nftables", json::array()}};
  std::string err;
  EXPECT_TRUE(IptablesSaveToNft(save, family, &doc["nftables"], nullptr, &err))
      << err;
  NftEvaluator ev;
  EXPECT_TRUE(ev.LoadDocument(doc, &err)) << err;
  std::string out;
  for (int p : {25, 587, 465}) {
    Outcome o = ev.Evaluate(
        p, std::string(family) == "ip" ? Family::kIPv4 : Family::kIPv6);
    out += std::string(VerdictName(o.verdict));
    if (o.verdict == Verdict::kConditional)
      out += "/" + std::string(ReasonName(o.reason));
    out += " ";
  }
  return out;
}

TEST(IptablesSave, Semantics) {
  // Negation, multiport ranges, state, unknown modules, REJECT, user chains.
  EXPECT_EQ(Verdicts("*filter\n:INPUT ACCEPT [0:0]\n"
                     "-A INPUT -p tcp ! --dport 25 -j DROP\nCOMMIT\n"),
            "accept drop drop ");
  EXPECT_EQ(Verdicts("*filter\n:INPUT ACCEPT [0:0]\n"
                     "-A INPUT -p tcp -m multiport --dports 400:500,587 -j "
                     "REJECT --reject-with tcp-reset\nCOMMIT\n"),
            "accept reject reject ");
  EXPECT_EQ(
      Verdicts("*filter\n:INPUT DROP [0:0]\n"
               "-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n"
               "-A INPUT -m conntrack ! --ctstate INVALID -p tcp --dport 25 -j "
               "ACCEPT\nCOMMIT\n"),
      "accept drop drop ");
  EXPECT_EQ(
      Verdicts(
          "*filter\n:INPUT ACCEPT [0:0]\n"
          "-A INPUT -p tcp -m geoip --src-cc XX --dport 25 -j DROP\nCOMMIT\n"),
      "conditional/unsupported accept accept ");
  // goto: falling off SMTP ends INPUT (policy), the DROP is never reached.
  EXPECT_EQ(Verdicts("*filter\n:INPUT DROP [0:0]\n:SMTP - [0:0]\n"
                     "-A INPUT -p tcp --dport 25 -g SMTP\n"
                     "-A INPUT -p tcp --dport 25 -j DROP\n"
                     "-A SMTP -i eth0 -j ACCEPT\n"
                     "-A SMTP -m limit --limit 3/min --limit-burst 10 -j LOG "
                     "--log-prefix \"x \"\nCOMMIT\n"),
            "conditional/interface drop drop ");
  EXPECT_EQ(Verdicts("*raw\n:PREROUTING ACCEPT [0:0]\n"
                     "-A PREROUTING -p tcp --dport 465 -j DROP\nCOMMIT\n",
                     "ip6"),
            "accept accept drop ");
}

TEST(IptablesSave, HasFiltering) {
  EXPECT_FALSE(
      IptablesSaveHasFiltering("*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n"));
  EXPECT_TRUE(IptablesSaveHasFiltering("*filter\n:INPUT DROP [0:0]\nCOMMIT\n"));
  EXPECT_TRUE(IptablesSaveHasFiltering(
      "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j DROP\nCOMMIT\n"));
}

}  // namespace
}  // namespace mailflow::firewall
