// IptablesSaveParser: translates `iptables-save` / `ip6tables-save` text
// (legacy or nft backend) into libnftables JSON objects, so NftEvaluator
// evaluates both with one engine. Pure: text in, JSON out.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace mailflow::firewall {

/// Appends {"table"}, {"chain"} and {"rule"} objects of family `family`
/// ("ip" for iptables-save, "ip6" for ip6tables-save) to `objects` (a JSON
/// array). Built-in chains get the hook and the priority iptables registers
/// them with (raw -300, mangle -150, nat -100, filter 0, security 50) and
/// their policy. Matches and targets that NftEvaluator cannot model become
/// opaque {"xt": ...} expressions (never an accept). `tables`, if not null,
/// receives the table names seen.
/// Fails with "LINE: message" on text that is not iptables-save output.
bool IptablesSaveToNft(std::string_view text, std::string_view family,
                       nlohmann::json* objects,
                       std::vector<std::string>* tables, std::string* err);

/// iptables-nft: rules whose matches/targets nft shows as opaque `xt`
/// expressions. Replaces, in the nft JSON document `doc`, every object of
/// `family` belonging to a table that `save_text` (iptables-nft-save or
/// ip6tables-nft-save output) lists with the translation of that text.
bool ReplaceTablesWithSave(nlohmann::json* doc, std::string_view family,
                           std::string_view save_text, std::string* err);

/// Splits one iptables-save line into words: whitespace separated, double
/// quotes group (with \" and \\ escapes inside). Exposed for tests.
bool SplitIptablesWords(std::string_view line, std::vector<std::string>* words);

/// True when the text has at least one rule or a built-in chain whose policy
/// is not ACCEPT (i.e. the backend filters something).
bool IptablesSaveHasFiltering(std::string_view text);

}  // namespace mailflow::firewall
