// The rule-options translator of IptablesSaveToNft: the matches and the
// target of one iptables-save rule as nftables JSON statements.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

namespace mailflow::firewall {

/// Translates the matches and the target of one rule, `words` from index
/// `i` on (after "-A CHAIN"), of family `family` ("ip", "ip6") into nft
/// JSON statements (`*expr`, never empty): addresses, interfaces, ports, TCP
/// flags, conntrack state, address types; rate limits and unknown modules
/// become opaque {"xt": ...} expressions (never an accept). `chains` are the
/// table's chains declared so far (jump targets).
///
/// Fails with a message without the line number (the caller adds it); on
/// failure `*expr` is unspecified. REQUIRES: `words` are from
/// SplitIptablesWords, `i` <= words.size(), `expr` and `err` not null.
/// Pure: thread-safe.
bool TranslateIptablesRuleOptions(const std::vector<std::string>& words,
                                  size_t i, const std::string& family,
                                  const std::set<std::string>& chains,
                                  nlohmann::json* expr, std::string* err);

}  // namespace mailflow::firewall
