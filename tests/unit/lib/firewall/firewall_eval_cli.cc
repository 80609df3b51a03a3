// Test-only CLI around the pure firewall evaluator (not installed):
//   firewall_eval_cli [--nft FILE|-] [--iptables-nft-save FILE]
//                     [--ip6tables-nft-save FILE] [--iptables-save FILE]
//                     [--ip6tables-save FILE] [--ipv6] [--family ipv4|ipv6]
//                     PORT...
// Prints one line per port: "PORT VERDICT REASON WHERE" (REASON "-" unless
// conditional). --nft reads `nft -j list ruleset` output; the *-nft-save
// files replace the tables with opaque xt expressions as the collector does;
// --iptables-save/--ip6tables-save evaluate legacy text on its own (without
// --nft). Exit status 2 on bad input.
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "lib/firewall/iptables_save_parser.h"
#include "lib/firewall/nft_evaluator.h"

using namespace mailflow::firewall;
using nlohmann::json;

namespace {
bool Slurp(const std::string& path, std::string* out) {
  std::ostringstream ss;
  if (path == "-") {
    ss << std::cin.rdbuf();
  } else {
    std::ifstream in(path);
    if (!in) return false;
    ss << in.rdbuf();
  }
  *out = ss.str();
  return true;
}
}  // namespace

int main(int argc, char** argv) {
  std::string nft_path, v4nft, v6nft, v4legacy, v6legacy, only;
  bool ipv6 = false;
  std::vector<int> ports;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--nft")
      nft_path = next();
    else if (a == "--iptables-nft-save")
      v4nft = next();
    else if (a == "--ip6tables-nft-save")
      v6nft = next();
    else if (a == "--iptables-save")
      v4legacy = next();
    else if (a == "--ip6tables-save")
      v6legacy = next();
    else if (a == "--ipv6")
      ipv6 = true;
    else if (a == "--family")
      only = next();
    else
      ports.push_back(std::stoi(a));
  }
  json doc = {{"nftables", json::array()}};
  std::string text, err;
  if (!nft_path.empty()) {
    if (!Slurp(nft_path, &text)) {
      std::cerr << "cannot read " << nft_path << "\n";
      return 2;
    }
    doc = json::parse(text, nullptr, false);
    if (doc.is_discarded()) {
      std::cerr << "malformed JSON\n";
      return 2;
    }
  }
  for (auto [path, fam] : {std::pair{v4nft, "ip"}, std::pair{v6nft, "ip6"}}) {
    if (path.empty()) continue;
    if (!Slurp(path, &text) || !ReplaceTablesWithSave(&doc, fam, text, &err)) {
      std::cerr << path << ": " << err << "\n";
      return 2;
    }
  }
  for (auto [path, fam] :
       {std::pair{v4legacy, "ip"}, std::pair{v6legacy, "ip6"}}) {
    if (path.empty()) continue;
    json objs = json::array();
    if (!Slurp(path, &text) ||
        !IptablesSaveToNft(text, fam, &objs, nullptr, &err)) {
      std::cerr << path << ": " << err << "\n";
      return 2;
    }
    for (auto& o : objs) doc["nftables"].push_back(o);
  }
  NftEvaluator ev;
  if (!ev.LoadDocument(doc, &err)) {
    std::cerr << err << "\n";
    return 2;
  }
  for (int p : ports) {
    Outcome o = only == "ipv4"   ? ev.Evaluate(p, Family::kIPv4)
                : only == "ipv6" ? ev.Evaluate(p, Family::kIPv6)
                                 : ev.EvaluatePort(p, ipv6);
    std::string reason(ReasonName(o.reason));
    std::cout << p << " " << VerdictName(o.verdict) << " "
              << (reason.empty() ? "-" : reason) << " " << o.where << "\n";
  }
  return 0;
}
