// Internal to the iptables-save translator (iptables_save_parser*.cc): the
// table and chain structure (iptables_save_parser.cc) hands each rule's
// matches and target to their translation (iptables_save_parser_rule.cc).
// Not a public header.
#pragma once

#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

namespace mailflow::firewall::iptables_save_internal {

/// Translates the matches and the target of one rule, `words` from index
/// `i` on (after "-A CHAIN"), of family `family` ("ip", "ip6") into nft
/// JSON statements (`*expr`, never empty). `chains` are the table's chains
/// declared so far (jump targets). Fails with a message without the line.
bool TranslateRuleOptions(const std::vector<std::string>& words, size_t i,
                          const std::string& family,
                          const std::set<std::string>& chains,
                          nlohmann::json* expr, std::string* err);

}  // namespace mailflow::firewall::iptables_save_internal
