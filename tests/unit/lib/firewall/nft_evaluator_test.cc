// NftEvaluator: on rulesets captured from the kernel (tests/fixtures/
// firewall, written by tests/integration/test_firewall.py with
// MAILFLOW_FIREWALL_CAPTURE, where each verdict below was observed by
// connecting through the ruleset), and on hand-written JSON for the edges.
#include "lib/firewall/nft_evaluator.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "lib/firewall/iptables_save_parser.h"

namespace mailflow::firewall {
namespace {

using nlohmann::json;

std::string Fixture(const std::string& name) {
  const char* src = std::getenv("MAILFLOW_SOURCE_DIR");
  std::string path =
      std::string(src ? src : ".") + "/tests/fixtures/firewall/" + name;
  std::ifstream in(path);
  EXPECT_TRUE(in) << path;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Show(const Outcome& o) {
  std::string s(VerdictName(o.verdict));
  if (o.verdict == Verdict::kConditional)
    s.append("/").append(ReasonName(o.reason));
  return s;
}

struct Case {
  const char* name;
  const char* kind;  // nft, nft+save (iptables-nft), legacy
  const char* v25;
  const char* v587;
  const char* v465;
  const char* v2525;
};

// The kernel's verdicts from the integration corpus (IPv4 and IPv6 probes
// combined; different outcomes -> conditional/<reason>).
const Case kCorpus[] = {
    {"empty", "nft", "accept", "accept", "accept", "accept"},
    {"accept_policy", "nft", "accept", "accept", "accept", "accept"},
    {"drop_policy", "nft", "accept", "drop", "drop", "drop"},
    {"reject_tcp_reset", "nft", "reject", "reject", "accept", "accept"},
    {"icmp_reject_variants", "nft", "accept", "reject", "reject",
     "conditional/address_family"},
    {"jump_goto_return", "nft", "accept", "drop", "accept", "reject"},
    {"named_set", "nft", "accept", "drop", "accept", "drop"},
    {"anonymous_set_ranges", "nft", "accept", "drop", "reject", "reject"},
    {"ct_state_iif_lo", "nft", "drop", "accept", "accept", "drop"},
    {"saddr_limited", "nft", "conditional/source_address",
     "conditional/source_address", "accept", "accept"},
    {"iifname_limited", "nft", "accept", "conditional/interface", "drop",
     "drop"},
    {"two_base_chains", "nft", "drop", "drop", "reject", "accept"},
    {"ip_and_inet_tables", "nft", "conditional/address_family", "reject",
     "conditional/address_family", "accept"},
    {"dport_vmap", "nft", "accept", "drop", "reject", "accept"},
    {"iifname_vmap_zones", "nft", "conditional/interface",
     "conditional/interface", "conditional/interface", "conditional/interface"},
    {"rate_limit", "nft", "accept", "accept", "accept",
     "conditional/rate_limit"},
    {"prerouting_raw_drop", "nft", "accept", "accept", "drop", "accept"},
    {"netdev_ingress_device", "nft", "conditional/interface", "accept",
     "accept", "accept"},
    {"daddr_limited", "nft", "accept", "conditional/destination_address",
     "accept", "accept"},
    {"iptables_nft_xt", "nft+save", "conditional/source_address", "drop",
     "drop", "accept"},
    {"iptables_nft_policy_drop", "nft+save", "accept", "drop", "drop", "drop"},
    {"iptables_legacy", "legacy", "drop", "reject", "reject", "accept"},
    {"iptables_legacy_user_chain", "legacy", "accept", "drop",
     "conditional/address_family", "conditional/source_address"},
    {"ufw", "nft+save", "accept", "conditional/source_address", "reject",
     "drop"},
    {"firewalld", "nft", "accept", "conditional/source_address", "reject",
     "reject"},
};

TEST(NftEvaluatorCorpus, MatchesTheKernel) {
  for (const Case& c : kCorpus) {
    SCOPED_TRACE(c.name);
    json doc = {{"nftables", json::array()}};
    std::string err;
    const std::string kind = c.kind;
    if (kind != "legacy") {
      doc = json::parse(Fixture(std::string(c.name) + ".json"));
    }
    if (kind == "nft+save") {
      ASSERT_TRUE(ReplaceTablesWithSave(
          &doc, "ip", Fixture(std::string(c.name) + ".iptables-nft-save"),
          &err))
          << err;
      ASSERT_TRUE(ReplaceTablesWithSave(
          &doc, "ip6", Fixture(std::string(c.name) + ".ip6tables-nft-save"),
          &err))
          << err;
    }
    if (kind == "legacy") {
      for (auto [suffix, fam] : {std::pair{".iptables-legacy-save", "ip"},
                                 std::pair{".ip6tables-legacy-save", "ip6"}}) {
        ASSERT_TRUE(IptablesSaveToNft(Fixture(std::string(c.name) + suffix),
                                      fam, &doc["nftables"], nullptr, &err))
            << err;
      }
    }
    NftEvaluator ev;
    ASSERT_TRUE(ev.LoadDocument(doc, &err)) << err;
    EXPECT_EQ(Show(ev.EvaluatePort(25, true)), c.v25);
    EXPECT_EQ(Show(ev.EvaluatePort(587, true)), c.v587);
    EXPECT_EQ(Show(ev.EvaluatePort(465, true)), c.v465);
    EXPECT_EQ(Show(ev.EvaluatePort(2525, true)), c.v2525);
  }
}

TEST(NftEvaluatorCorpus, IptablesNftWithoutSaveTextIsNeverAccept) {
  // Opaque xt matches: conditional/unsupported where they decide, never
  // an accept that the kernel might not give.
  NftEvaluator ev;
  std::string err;
  ASSERT_TRUE(ev.Load(Fixture("ufw.json"), &err)) << err;
  EXPECT_TRUE(ev.HasXt("ip"));
  EXPECT_TRUE(ev.HasXt("ip6"));
  EXPECT_FALSE(ev.HasXt("inet"));
  for (int port : {25, 587, 465, 2525}) {
    EXPECT_EQ(Show(ev.EvaluatePort(port, true)), "conditional/unsupported")
        << port;
  }
}

TEST(NftEvaluatorCorpus, FirewalldIPv4Only) {
  NftEvaluator ev;
  std::string err;
  ASSERT_TRUE(ev.Load(Fixture("firewalld.json"), &err)) << err;
  Outcome o = ev.Evaluate(465, Family::kIPv4);
  EXPECT_EQ(Show(o), "reject");
  EXPECT_EQ(o.where, "inet firewalld filter_IN_public handle 72");
  EXPECT_EQ(Show(ev.Evaluate(25, Family::kIPv4)), "accept");
}

// ---- hand-written JSON ------------------------------------------------------

std::string Doc(const std::string& rules_and_chains) {
  return R"({"nftables": [{"metainfo": {"json_schema_version": 1}},
    {"table": {"family": "inet", "name": "t"}},
    {"chain": {"family": "inet", "table": "t", "name": "input", "type": "filter",
               "hook": "input", "prio": 0, "policy": "accept"}})" +
         rules_and_chains + "]}";
}

std::string Rule(const std::string& exprs, const std::string& chain = "input") {
  return R"(,{"rule": {"family": "inet", "table": "t", "chain": ")" + chain +
         R"(", "expr": [)" + exprs + "]}}";
}

const char* kDport25 =
    R"({"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}}, "right": 25}})";

Outcome Eval(const std::string& doc, int port = 25) {
  NftEvaluator ev;
  std::string err;
  EXPECT_TRUE(ev.Load(doc, &err)) << err;
  return ev.Evaluate(port, Family::kIPv4);
}

TEST(NftEvaluator, MalformedJson) {
  NftEvaluator ev;
  std::string err;
  EXPECT_FALSE(ev.Load("{\"nftables\": [", &err));
  EXPECT_EQ(err, "nft JSON: malformed document");
  EXPECT_FALSE(ev.Load("[]", &err));
  EXPECT_EQ(err, "nft JSON: no \"nftables\" array");
  EXPECT_FALSE(ev.Load(R"({"nftables": [42]})", &err));
  EXPECT_EQ(err, "nft JSON: object 1 is not {kind: {...}}");
  EXPECT_FALSE(
      ev.Load(R"({"nftables": [{"rule": {"family": "inet", "table": "t",
      "chain": "nope", "expr": []}}]})",
              &err));
  EXPECT_EQ(err, "nft JSON: rule of unknown chain inet t nope");
  EXPECT_FALSE(ev.Load(Doc(R"(,{"rule": {"family": "inet", "table": "t",
      "chain": "input"}})"),
                       &err));
  EXPECT_EQ(err, "nft JSON: rule without expr array in chain input");
}

TEST(NftEvaluator, EmptyRulesetAccepts) {
  Outcome o = Eval(R"({"nftables": []})");
  EXPECT_EQ(Show(o), "accept");
  EXPECT_EQ(o.where, "no base chains");
}

TEST(NftEvaluator, UnknownMatchIsConditionalNeverAccept) {
  // An unknown left-hand expression before a drop: maybe dropped.
  std::string doc = Doc(Rule(
      std::string(kDport25) +
      R"(,{"match": {"op": "==", "left": {"osf": {"key": "name"}}, "right": "Linux"}},
          {"drop": null})"));
  EXPECT_EQ(Show(Eval(doc)), "conditional/unsupported");
  // The same match before an accept under a drop policy.
  std::string doc2 =
      R"({"nftables": [
    {"chain": {"family": "inet", "table": "t", "name": "input", "type": "filter",
               "hook": "input", "prio": 0, "policy": "drop"}})" +
      Rule(
          std::string(kDport25) +
          R"(,{"match": {"op": "==", "left": {"socket": {"key": "transparent"}}, "right": 1}},
               {"accept": null})") +
      "]}";
  EXPECT_EQ(Show(Eval(doc2)), "conditional/unsupported");
}

TEST(NftEvaluator, UnknownStatementOnThePathIsConditional) {
  std::string doc =
      Doc(Rule(std::string(kDport25) + R"(,{"queue": {"num": 1}})"));
  Outcome o = Eval(doc);
  EXPECT_EQ(Show(o), "conditional/unsupported");
  EXPECT_EQ(o.where, "inet t input handle -1 (queue)");
  // ... but not for another port: the match fails first.
  EXPECT_EQ(Show(Eval(doc, 587)), "accept");
}

TEST(NftEvaluator, UnknownMatchThatCannotChangeTheOutcome) {
  // Both branches end in drop: the undecidable match does not matter.
  std::string doc =
      R"({"nftables": [
    {"chain": {"family": "inet", "table": "t", "name": "input", "type": "filter",
               "hook": "input", "prio": 0, "policy": "drop"}})" +
      Rule(
          R"({"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "saddr"}},
                          "right": "10.0.0.1"}}, {"drop": null})") +
      "]}";
  EXPECT_EQ(Show(Eval(doc)), "drop");
}

TEST(NftEvaluator, XtExpressions) {
  EXPECT_EQ(
      Show(Eval(Doc(Rule(std::string(kDport25) +
                         R"(,{"xt": {"type": "target", "name": "REJECT"}})")))),
      "reject");
  EXPECT_EQ(
      Show(Eval(Doc(Rule(
          std::string(kDport25) +
          R"(,{"xt": {"type": "match", "name": "recent"}}, {"drop": null})")))),
      "conditional/unsupported");
  EXPECT_EQ(
      Show(Eval(Doc(Rule(std::string(kDport25) +
                         R"(,{"xt": {"type": "target", "name": "TPROXY"}})")))),
      "conditional/unsupported");
  EXPECT_EQ(
      Show(Eval(Doc(Rule(
          std::string(kDport25) +
          R"(,{"xt": {"type": "match", "name": "comment"}}, {"drop": null})")))),
      "drop");
}

TEST(NftEvaluator, JumpToUnknownChain) {
  Outcome o = Eval(
      Doc(Rule(std::string(kDport25) + R"(,{"jump": {"target": "gone"}})")));
  EXPECT_EQ(Show(o), "conditional/unsupported");
  EXPECT_EQ(o.where, "inet t input handle -1 (unknown chain gone)");
}

TEST(NftEvaluator, MissingNamedSetIsConditional) {
  Outcome o = Eval(Doc(Rule(
      R"({"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}},
          "right": "@nosuchset"}}, {"drop": null})")));
  EXPECT_EQ(Show(o), "conditional/unsupported");
}

TEST(NftEvaluator, SetElementsWithOptionsAndConcat) {
  std::string doc = Doc(
      R"(,{"set": {"family": "inet", "table": "t", "name": "s", "type": "inet_service",
          "elem": [{"elem": {"val": 25, "timeout": 60}}]}})" +
      Rule(
          R"({"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}},
              "right": "@s"}}, {"drop": null})") +
      Rule(
          R"({"match": {"op": "==", "left": {"concat": [{"meta": {"key": "l4proto"}},
              {"payload": {"protocol": "th", "field": "dport"}}]},
              "right": {"set": [{"concat": ["tcp", 587]}]}}}, {"reject": null})"));
  EXPECT_EQ(Show(Eval(doc, 25)), "drop");
  EXPECT_EQ(Show(Eval(doc, 587)), "reject");
  EXPECT_EQ(Show(Eval(doc, 465)), "accept");
}

TEST(NftEvaluator, UdpAndIcmpRulesDoNotApply) {
  std::string doc = Doc(
      Rule(
          R"({"match": {"op": "==", "left": {"payload": {"protocol": "udp", "field": "dport"}},
              "right": 25}}, {"drop": null})") +
      Rule(
          R"({"match": {"op": "!=", "left": {"payload": {"protocol": "icmp", "field": "type"}},
              "right": "echo-request"}}, {"drop": null})") +
      Rule(
          R"({"match": {"op": "!=", "left": {"meta": {"key": "l4proto"}}, "right": "tcp"}},
              {"drop": null})"));
  EXPECT_EQ(Show(Eval(doc)), "accept");
}

TEST(NftEvaluator, TcpFlagsAndComparisons) {
  std::string doc = Doc(Rule(
      R"({"match": {"op": "==", "left": {"&": [{"payload": {"protocol": "tcp", "field": "flags"}},
              ["fin", "syn", "rst", "ack"]]}, "right": "syn"}},
              {"match": {"op": ">=", "left": {"payload": {"protocol": "tcp", "field": "dport"}},
              "right": 1024}}, {"drop": null})"));
  EXPECT_EQ(Show(Eval(doc, 2525)), "drop");
  EXPECT_EQ(Show(Eval(doc, 25)), "accept");
}

TEST(NftEvaluator, RejectWithIcmpOnlyForItsFamily) {
  std::string doc =
      Doc(Rule(std::string(kDport25) +
               R"(,{"reject": {"type": "icmp", "expr": "net-unreachable"}})"));
  NftEvaluator ev;
  std::string err;
  ASSERT_TRUE(ev.Load(doc, &err));
  EXPECT_EQ(Show(ev.Evaluate(25, Family::kIPv4)), "reject");
  EXPECT_EQ(Show(ev.Evaluate(25, Family::kIPv6)), "accept");
  EXPECT_EQ(Show(ev.EvaluatePort(25, true)), "conditional/address_family");
  EXPECT_EQ(Show(ev.EvaluatePort(25, false)), "reject");
}

TEST(NftEvaluator, ConvergingForksAreLinear) {
  // 40 undecidable jumps in a row are 2^40 paths but 41 states: memoized.
  std::string chains =
      R"(,{"chain": {"family": "inet", "table": "t", "name": "c"}})" +
      Rule(R"({"return": null})", "c");
  for (int i = 0; i < 40; ++i) {
    chains +=
        Rule(R"({"match": {"op": "==", "left": {"payload": {"protocol": "ip",
        "field": "saddr"}}, "right": "10.0.0.)" +
             std::to_string(i) + R"("}}, {"jump": {"target": "c"}})");
  }
  chains += Rule(std::string(kDport25) + R"(,{"drop": null})");
  EXPECT_EQ(Show(Eval(Doc(chains))), "drop");
}

TEST(NftEvaluator, ForkBudgetIsBounded) {
  // Chains L0..L19, each calling the next from two rules (one undecided):
  // 2^20 distinct call stacks. The step budget stops the evaluation.
  std::string chains;
  for (int i = 0; i < 20; ++i) {
    std::string me = std::string("L").append(std::to_string(i)),
                next = std::string("L").append(std::to_string(i + 1));
    chains += R"(,{"chain": {"family": "inet", "table": "t", "name": ")" + me +
              R"("}})";
    chains +=
        Rule(R"({"match": {"op": "==", "left": {"payload": {"protocol": "ip",
        "field": "saddr"}}, "right": "10.0.0.1"}}, {"jump": {"target": ")" +
                 next + R"("}})",
             me);
    chains += Rule(R"({"jump": {"target": ")" + next + R"("}})", me);
  }
  chains += R"(,{"chain": {"family": "inet", "table": "t", "name": "L20"}})";
  chains += Rule(R"({"jump": {"target": "L0"}})");
  chains += Rule(std::string(kDport25) + R"(,{"drop": null})");
  Outcome o = Eval(Doc(chains));
  // The step budget stops it (an exponential walk would not end in the
  // test's time limit).
  EXPECT_EQ(Show(o), "conditional/unsupported");
  EXPECT_EQ(o.where, "evaluation budget exceeded");
}

TEST(NftEvaluator, InertRulesDoNotFork) {
  // Counters on source addresses: no verdict, no fork, exact answer.
  std::string rules;
  for (int i = 0; i < 200; ++i) {
    rules +=
        Rule(R"({"match": {"op": "==", "left": {"payload": {"protocol": "ip",
        "field": "saddr"}}, "right": "10.0.0.)" +
             std::to_string(i % 250) +
             R"("}}, {"counter": {"packets": 0, "bytes": 0}})");
  }
  rules += Rule(std::string(kDport25) + R"(,{"drop": null})");
  EXPECT_EQ(Show(Eval(Doc(rules))), "drop");
}

TEST(NftEvaluator, CallDepthIsBounded) {
  // A chain that jumps to itself (the kernel refuses loops; JSON may not).
  std::string doc =
      Doc(R"(,{"chain": {"family": "inet", "table": "t", "name": "loop"}})" +
          Rule(R"({"jump": {"target": "loop"}})", "loop") +
          Rule(R"({"jump": {"target": "loop"}})"));
  Outcome o = Eval(doc);
  EXPECT_EQ(Show(o), "conditional/unsupported");
  EXPECT_EQ(o.where, "inet t loop handle -1 (call depth)");
}

TEST(NftEvaluator, FamiliesOfTables) {
  std::string doc = R"({"nftables": [
    {"chain": {"family": "ip6", "table": "x", "name": "in", "type": "filter",
               "hook": "input", "prio": 0, "policy": "drop"}},
    {"chain": {"family": "bridge", "table": "y", "name": "in", "type": "filter",
               "hook": "input", "prio": 0, "policy": "drop"}},
    {"chain": {"family": "inet", "table": "z", "name": "out", "type": "filter",
               "hook": "output", "prio": 0, "policy": "drop"}}]})";
  NftEvaluator ev;
  std::string err;
  ASSERT_TRUE(ev.Load(doc, &err));
  EXPECT_EQ(ev.base_chain_count(), 1u);
  EXPECT_EQ(Show(ev.Evaluate(25, Family::kIPv4)), "accept");
  Outcome o = ev.Evaluate(25, Family::kIPv6);
  EXPECT_EQ(Show(o), "drop");
  EXPECT_EQ(o.where, "policy of ip6 x in");
}

}  // namespace
}  // namespace mailflow::firewall
