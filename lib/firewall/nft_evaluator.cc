#include "lib/firewall/nft_evaluator.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <sstream>
#include <utility>

#include "lib/firewall/nft_chain_walk.h"
#include "lib/firewall/nft_rule_text.h"

namespace mailflow::firewall {

using nlohmann::json;

std::string_view VerdictName(Verdict v) {
  switch (v) {
    case Verdict::kAccept:
      return "accept";
    case Verdict::kDrop:
      return "drop";
    case Verdict::kReject:
      return "reject";
    case Verdict::kConditional:
      return "conditional";
  }
  return "conditional";
}

std::string_view ReasonName(Reason r) {
  switch (r) {
    case Reason::kNone:
      return "";
    case Reason::kSourceAddress:
      return "source_address";
    case Reason::kDestinationAddress:
      return "destination_address";
    case Reason::kInterface:
      return "interface";
    case Reason::kRateLimit:
      return "rate_limit";
    case Reason::kAddressFamily:
      return "address_family";
    case Reason::kUnsupported:
      return "unsupported";
  }
  return "unsupported";
}

std::string_view FamilyName(Family f) {
  return f == Family::kIPv4 ? "ipv4" : "ipv6";
}

namespace {

int HookOrder(const std::string& hook) {
  if (hook == "ingress") return 0;
  if (hook == "prerouting") return 1;
  if (hook == "input") return 2;
  return -1;
}

// The string member `k` of `o`, "" when absent or not a string.
std::string Str(const json& o, const char* k) {
  if (o.contains(k) && o[k].is_string()) return o[k].get<std::string>();
  return "";
}

// Whether a rule's statements cannot change a verdict by themselves
// (matches, counters, logs, limits: the walk skips such rules at once).
bool Inert(const json& exprs) {
  for (const auto& e : exprs) {
    if (!e.is_object() || e.size() != 1) return false;
    const std::string& k = e.begin().key();
    bool benign = k == "match" || k == "counter" || k == "log" ||
                  k == "limit" || k == "quota" || k == "meter" ||
                  k == "ct count" || k == "notrack" || k == "set";
    if (k == "xt" && e[k].is_object()) {
      std::string t = e[k].value("type", ""), n = e[k].value("name", "");
      benign = t == "match" || n == "LOG" || n == "NFLOG" || n == "ULOG";
    }
    if (!benign) return false;
  }
  return true;
}

}  // namespace

bool NftEvaluator::Load(std::string_view json_text, std::string* err) {
  json doc = json::parse(json_text.begin(), json_text.end(), nullptr,
                         /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    *err = "nft JSON: malformed document";
    return false;
  }
  return LoadDocument(doc, err);
}

bool NftEvaluator::LoadDocument(const json& doc, std::string* err) {
  chains_.clear();
  sets_.clear();
  bases_.clear();
  tables_.clear();
  xt_families_.clear();
  rule_count_ = 0;
  if (!doc.is_object() || !doc.contains("nftables") ||
      !doc["nftables"].is_array()) {
    *err = "nft JSON: no \"nftables\" array";
    return false;
  }
  size_t index = 0;
  for (const json& item : doc["nftables"]) {
    ++index;
    if (!item.is_object() || item.size() != 1) {
      *err =
          "nft JSON: object " + std::to_string(index) + " is not {kind: {...}}";
      return false;
    }
    const std::string& kind = item.begin().key();
    const json& o = item.begin().value();
    if (!o.is_object()) {
      *err = "nft JSON: " + kind + " object " + std::to_string(index) +
             " is not an object";
      return false;
    }
    if (kind == "table") {
      tables_.push_back(Str(o, "family") + " " + Str(o, "name"));
    } else if (kind == "chain") {
      LoadChain(o);
    } else if (kind == "rule") {
      if (!LoadRule(o, err)) return false;
    } else if (kind == "set" || kind == "map") {
      LoadSet(o);
    }
    // metainfo, flowtable, counter, quota, ct helper, ...: not needed.
  }
  OrderBaseChains();
  return true;
}

void NftEvaluator::LoadChain(const json& o) {
  Key key{Str(o, "family"), Str(o, "table"), Str(o, "name")};
  Chain& c = chains_[key];
  c.family = std::get<0>(key);
  c.table = std::get<1>(key);
  c.name = std::get<2>(key);
  c.hook = Str(o, "hook");
  c.type = Str(o, "type");
  c.policy = Str(o, "policy");
  if (o.contains("prio") && o["prio"].is_number_integer()) {
    c.prio = o["prio"].get<int64_t>();
  }
  if (o.contains("dev")) {
    const json& d = o["dev"];
    if (d.is_string()) c.devices.push_back(d.get<std::string>());
    if (d.is_array()) {
      for (const auto& x : d) {
        if (x.is_string()) c.devices.push_back(x.get<std::string>());
      }
    }
  }
}

bool NftEvaluator::LoadRule(const json& o, std::string* err) {
  Key key{Str(o, "family"), Str(o, "table"), Str(o, "chain")};
  auto it = chains_.find(key);
  if (it == chains_.end()) {
    *err = "nft JSON: rule of unknown chain " + std::get<0>(key) + " " +
           std::get<1>(key) + " " + std::get<2>(key);
    return false;
  }
  if (!o.contains("expr") || !o["expr"].is_array()) {
    *err = "nft JSON: rule without expr array in chain " + std::get<2>(key);
    return false;
  }
  for (const auto& e : o["expr"]) {
    if (e.is_object() && e.contains("xt")) {
      if (std::find(xt_families_.begin(), xt_families_.end(),
                    std::get<0>(key)) == xt_families_.end()) {
        xt_families_.push_back(std::get<0>(key));
      }
    }
  }
  it->second.inert.push_back(Inert(o["expr"]));
  it->second.rules.push_back(o["expr"]);
  it->second.handles.push_back(o.contains("handle") &&
                                       o["handle"].is_number_integer()
                                   ? o["handle"].get<int64_t>()
                                   : -1);
  ++rule_count_;
  return true;
}

void NftEvaluator::LoadSet(const json& o) {
  Key key{Str(o, "family"), Str(o, "table"), Str(o, "name")};
  json elems = json::array();
  if (o.contains("elem")) {
    if (o["elem"].is_array()) {
      elems = o["elem"];
    } else {
      elems.push_back(o["elem"]);
    }
  }
  sets_[key] = std::move(elems);
}

void NftEvaluator::OrderBaseChains() {
  std::vector<std::pair<std::tuple<int, int64_t, size_t>, const Chain*>> order;
  size_t n = 0;
  for (const auto& [key, c] : chains_) {
    ++n;
    int h = HookOrder(c.hook);
    if (h < 0) continue;
    if (c.family != "ip" && c.family != "ip6" && c.family != "inet" &&
        c.family != "netdev") {
      continue;
    }
    if (c.family == "netdev" && c.hook != "ingress") continue;
    order.push_back({{h, c.prio, n}, &c});
  }
  std::stable_sort(
      order.begin(), order.end(),
      [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [k, c] : order) bases_.push_back(c);
}

bool NftEvaluator::HasXt(std::string_view family) const {
  return std::find(xt_families_.begin(), xt_families_.end(), family) !=
         xt_families_.end();
}

Outcome NftEvaluator::Evaluate(int port, Family family) const {
  std::vector<const Chain*> bases;
  for (const Chain* c : bases_) {
    bool relevant = c->family == "inet" || c->family == "netdev" ||
                    (c->family == "ip" && family == Family::kIPv4) ||
                    (c->family == "ip6" && family == Family::kIPv6);
    if (relevant) bases.push_back(c);
  }
  NftChainWalk walk(*this, family, port, std::move(bases));
  Outcome o = walk.Walk(NftChainWalk::State{});
  if (walk.exhausted()) return NftChainWalk::Budget();
  o.rule = RuleAt(o.where);
  return o;
}

const NftEvaluator::Chain* NftEvaluator::FindChain(
    const Chain& from, const std::string& name) const {
  auto it = chains_.find({from.family, from.table, name});
  return it == chains_.end() ? nullptr : &it->second;
}

const json* NftEvaluator::FindSet(const Chain& from,
                                  const std::string& ref) const {
  std::string name = ref.substr(1);
  auto it = sets_.find({from.family, from.table, name});
  return it == sets_.end() ? nullptr : &it->second;
}

std::string NftEvaluator::RuleAt(const std::string& where) const {
  std::istringstream in(where);
  std::string family, table, chain, handle_word;
  int64_t handle = 0;
  if (!(in >> family >> table >> chain >> handle_word >> handle) ||
      handle_word != "handle") {
    return "";
  }
  auto it = chains_.find({family, table, chain});
  if (it == chains_.end()) return "";
  const Chain& c = it->second;
  for (size_t i = 0; i < c.handles.size() && i < c.rules.size(); ++i) {
    if (c.handles[i] == handle) return NftRuleText(c.rules[i]);
  }
  return "";
}

Outcome NftEvaluator::EvaluatePort(int port, bool with_ipv6) const {
  Outcome v4 = Evaluate(port, Family::kIPv4);
  if (!with_ipv6) return v4;
  Outcome v6 = Evaluate(port, Family::kIPv6);
  if (v4 == v6) return v4;
  Outcome o;
  o.verdict = Verdict::kConditional;
  // A family that is itself conditional says more than "they differ".
  o.reason = v4.verdict == Verdict::kConditional   ? v4.reason
             : v6.verdict == Verdict::kConditional ? v6.reason
                                                   : Reason::kAddressFamily;
  if (v4.rule == v6.rule) o.rule = v4.rule;
  o.where = "ipv4: " + std::string(VerdictName(v4.verdict)) + " (" + v4.where +
            "), ipv6: " + std::string(VerdictName(v6.verdict)) + " (" +
            v6.where + ")";
  return o;
}

}  // namespace mailflow::firewall
