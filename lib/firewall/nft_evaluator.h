// NftEvaluator: decides, from an nftables ruleset in libnftables JSON
// (`nft -j list ruleset`), what a new inbound TCP connection to a port gets.
// Pure: JSON text in, verdicts out. No I/O, no Prometheus types.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "lib/firewall/verdict.h"

namespace mailflow::firewall {

/// The packet evaluated: a TCP SYN (conntrack state new, not DNATed) to
/// `port`, from an address outside the host, arriving on an interface other
/// than lo, addressed to a local unicast address of the host.
enum class Family { kIPv4, kIPv6 };
std::string_view FamilyName(Family f);  // ipv4, ipv6

/// Evaluates the base chains on the ingress (netdev, with their device),
/// prerouting and input hooks of the ip/ip6/inet/netdev tables, in hook and
/// priority order, following jump/goto/return, chain policies, vmaps,
/// anonymous and named sets, ranges, prefixes and concatenations.
///
/// Matches the evaluator cannot decide for the packet (source address,
/// interface other than lo, rate limits, opaque `xt` matches of iptables-nft,
/// unknown expressions) fork the evaluation: when both branches end in the
/// same verdict that is the verdict, otherwise it is kConditional with the
/// reason of the undecided match. Unknown statements on the packet's path
/// make it kConditional (kUnsupported): an unknown expression never yields
/// accept. Work is bounded (kMaxSteps rule steps per evaluation; beyond it:
/// kConditional, kUnsupported).
///
/// Immutable after Load; Evaluate is thread-safe.
class NftEvaluator {
 public:
  static constexpr int kMaxSteps = 200000;
  static constexpr size_t kMaxCallDepth = 64;

  /// Parses `nft -j list ruleset` output. Fails with a message naming the
  /// problem on malformed JSON or a document that is not an nftables ruleset.
  bool Load(std::string_view json_text, std::string* err);
  /// Same, from an already parsed document `{"nftables": [...]}`.
  bool LoadDocument(const nlohmann::json& doc, std::string* err);

  /// The outcome for one family, with the text of the deciding rule.
  Outcome Evaluate(int port, Family family) const;
  /// IPv4 and, when `with_ipv6`, IPv6: equal outcomes are the outcome,
  /// different ones are kConditional with the reason of the family that is
  /// conditional, or kAddressFamily when both are decided.
  Outcome EvaluatePort(int port, bool with_ipv6) const;

  size_t rule_count() const { return rule_count_; }
  size_t base_chain_count() const { return bases_.size(); }
  /// True when rules of `family` ("ip", "ip6", "inet", ...) use opaque `xt`
  /// expressions (iptables-nft matches/targets not translated to nft).
  bool HasXt(std::string_view family) const;
  /// Names of the tables, "family name", in document order.
  const std::vector<std::string>& tables() const { return tables_; }

  struct Chain {
    std::string family, table, name;
    std::string hook;  // empty for regular chains
    std::string type;  // filter, nat, route
    int64_t prio = 0;
    std::string policy;                 // accept/drop ("" = accept)
    std::vector<std::string> devices;   // ingress chains
    std::vector<nlohmann::json> rules;  // each: the rule's "expr" array
    std::vector<int64_t> handles;
    /// Rules without any statement that can change the packet's fate
    /// (only matches, counters, logs, limits): skipped without forking.
    std::vector<bool> inert;
  };

 private:
  using Key = std::tuple<std::string, std::string, std::string>;
  // NftRuleText() of the rule a `where` ("inet filter input handle 7")
  // names; "" when it names none.
  std::string RuleAt(const std::string& where) const;
  // LoadDocument's parts: one object of each kind, then the base chains
  // in hook order. `o` is the object's body.
  void LoadChain(const nlohmann::json& o);
  bool LoadRule(const nlohmann::json& o, std::string* err);
  void LoadSet(const nlohmann::json& o);
  void OrderBaseChains();
  friend class NftMatch;      // FindSet
  friend class NftChainWalk;  // FindChain, FindSet

  // The chain `name` / the elements of set `ref` ("@name") of `from`'s
  // table; nullptr when there is none.
  const Chain* FindChain(const Chain& from, const std::string& name) const;
  const nlohmann::json* FindSet(const Chain& from,
                                const std::string& ref) const;

  nlohmann::json doc_;
  std::map<Key, Chain> chains_;
  std::map<Key, nlohmann::json> sets_;  // sets and maps: their "elem" array
  std::vector<const Chain*> bases_;     // ingress/prerouting/input, sorted
  std::vector<std::string> tables_;
  std::vector<std::string> xt_families_;
  size_t rule_count_ = 0;
};

}  // namespace mailflow::firewall
