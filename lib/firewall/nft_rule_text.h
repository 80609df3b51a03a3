// NftRuleText: an nftables rule in libnftables JSON, written back the way
// `nft list ruleset` prints it ("tcp dport 25 drop"), for the evidence of a
// verdict. Pure; no I/O, no Prometheus types.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace mailflow::firewall {

/// The rule's "expr" array as nft's text syntax: matches, sets, ranges,
/// prefixes, vmaps, verdicts, reject types, counter, log, limit; opaque
/// iptables-nft expressions as "xt match NAME" / "xt target NAME". Counters
/// print without their numbers. An expression it does not know prints as
/// "<KEY>". Never throws; at most kMaxRuleTextChars (+ "...").
std::string NftRuleText(const nlohmann::json& exprs);

inline constexpr size_t kMaxRuleTextChars = 300;

}  // namespace mailflow::firewall
