// iptables-save text to nft JSON: the tables, the chains with their hooks
// and policies, and the rules, whose options TranslateIptablesRuleOptions
// (iptables_rule_translator.h) translates.
#include "lib/firewall/iptables_save_parser.h"

#include <algorithm>
#include <set>

#include "lib/base/ascii_lower.h"
#include "lib/firewall/iptables_rule_translator.h"

namespace mailflow::firewall {

using nlohmann::json;

namespace {

// The line that begins at `*start`, without its '\n'; moves `*start` past it.
std::string_view NextLine(std::string_view text, size_t* start) {
  const size_t nl = text.find('\n', *start);
  const size_t end = nl == std::string_view::npos ? text.size() : nl;
  std::string_view line = text.substr(*start, end - *start);
  *start = nl == std::string_view::npos ? text.size() : nl + 1;
  return line;
}

int64_t TablePriority(const std::string& table) {
  if (table == "raw") return -300;
  if (table == "mangle") return -150;
  if (table == "nat") return -100;
  if (table == "security") return 50;
  return 0;
}

const char* BuiltinHook(const std::string& chain) {
  if (chain == "PREROUTING") return "prerouting";
  if (chain == "INPUT") return "input";
  if (chain == "FORWARD") return "forward";
  if (chain == "OUTPUT") return "output";
  if (chain == "POSTROUTING") return "postrouting";
  return nullptr;
}

}  // namespace

bool SplitIptablesWords(std::string_view line,
                        std::vector<std::string>* words) {
  words->clear();
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    if (i >= line.size()) break;
    std::string w;
    bool quoted = false;
    while (i < line.size() && (quoted || (line[i] != ' ' && line[i] != '\t'))) {
      char c = line[i];
      if (c == '"') {
        quoted = !quoted;
        ++i;
        continue;
      }
      if (quoted && c == '\\' && i + 1 < line.size()) {
        w.push_back(line[i + 1]);
        i += 2;
        continue;
      }
      w.push_back(c);
      ++i;
    }
    if (quoted) return false;
    words->push_back(std::move(w));
  }
  return true;
}

bool IptablesSaveHasFiltering(std::string_view text) {
  size_t start = 0;
  while (start < text.size()) {
    std::string_view line = NextLine(text, &start);
    if (line.starts_with("-A ") || line.starts_with("[")) return true;
    if (line.starts_with(":")) {
      size_t sp = line.find(' ');
      if (sp != std::string_view::npos) {
        std::string_view rest = line.substr(sp + 1);
        if (!rest.starts_with("ACCEPT") && !rest.starts_with("-")) return true;
      }
    }
  }
  return false;
}

bool IptablesSaveToNft(std::string_view text, std::string_view family_view,
                       json* objects, std::vector<std::string>* tables,
                       std::string* err) {
  const std::string family(family_view);
  std::string table;
  std::set<std::string> chains;
  std::vector<std::string> words;
  size_t line_no = 0, start = 0;
  int64_t handle = 0;
  auto fail = [&](const std::string& msg) {
    *err = "line " + std::to_string(line_no) + ": " + msg;
    return false;
  };
  while (start < text.size()) {
    std::string_view line = NextLine(text, &start);
    ++line_no;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) {
      line.remove_suffix(1);
    }
    if (line.empty() || line[0] == '#') continue;
    if (line[0] == '*') {
      if (!table.empty())
        return fail("table " + std::string(line.substr(1)) +
                    " starts before COMMIT of " + table);
      table = std::string(line.substr(1));
      if (table.empty()) return fail("empty table name");
      chains.clear();
      objects->push_back({{"table", {{"family", family}, {"name", table}}}});
      if (tables) tables->push_back(table);
      continue;
    }
    if (line == "COMMIT") {
      if (table.empty()) return fail("COMMIT outside a table");
      table.clear();
      continue;
    }
    if (table.empty()) return fail("rule or chain outside a table");
    if (!SplitIptablesWords(line, &words)) return fail("unterminated quote");
    if (line[0] == ':') {
      if (words.size() < 2) return fail("chain line without policy");
      std::string name = words[0].substr(1);
      if (name.empty()) return fail("empty chain name");
      chains.insert(name);
      json c = {{"family", family}, {"table", table}, {"name", name}};
      const char* hook = BuiltinHook(name);
      if (words[1] != "-" && hook) {
        c["type"] = table == "nat" ? "nat" : "filter";
        c["hook"] = hook;
        c["prio"] = TablePriority(table);
        c["policy"] = AsciiLower(words[1]);
      }
      objects->push_back({{"chain", std::move(c)}});
      continue;
    }
    // A rule: [packets:bytes] -A CHAIN ...
    size_t i = 0;
    if (!words.empty() && words[0].starts_with("[")) ++i;
    if (i + 1 >= words.size() || words[i] != "-A") {
      return fail("expected -A CHAIN, got \"" + std::string(line) + "\"");
    }
    const std::string chain = words[i + 1];
    if (!chains.count(chain)) return fail("rule of undeclared chain " + chain);
    i += 2;
    json expr;
    std::string msg;
    if (!TranslateIptablesRuleOptions(words, i, family, chains, &expr, &msg)) {
      return fail(msg);
    }
    objects->push_back({{"rule",
                         {{"family", family},
                          {"table", table},
                          {"chain", chain},
                          {"handle", ++handle},
                          {"expr", std::move(expr)}}}});
  }
  if (!table.empty()) {
    ++line_no;
    return fail("missing COMMIT for table " + table);
  }
  return true;
}

bool ReplaceTablesWithSave(json* doc, std::string_view family,
                           std::string_view save_text, std::string* err) {
  if (!doc->is_object() || !doc->contains("nftables") ||
      !(*doc)["nftables"].is_array()) {
    *err = "nft JSON: no \"nftables\" array";
    return false;
  }
  json objects = json::array();
  std::vector<std::string> tables;
  if (!IptablesSaveToNft(save_text, family, &objects, &tables, err))
    return false;
  json kept = json::array();
  for (auto& item : (*doc)["nftables"]) {
    bool drop = false;
    if (item.is_object() && item.size() == 1 &&
        item.begin().value().is_object()) {
      const json& o = item.begin().value();
      std::string fam = o.contains("family") && o["family"].is_string()
                            ? o["family"].get<std::string>()
                            : "";
      const char* key = item.contains("table") ? "name" : "table";
      std::string tab = o.contains(key) && o[key].is_string()
                            ? o[key].get<std::string>()
                            : "";
      drop = fam == family &&
             std::find(tables.begin(), tables.end(), tab) != tables.end();
    }
    if (!drop) kept.push_back(std::move(item));
  }
  for (auto& o : objects) kept.push_back(std::move(o));
  (*doc)["nftables"] = std::move(kept);
  return true;
}

}  // namespace mailflow::firewall
