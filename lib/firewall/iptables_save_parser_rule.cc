// The matches and targets of one iptables-save rule as nft JSON
// statements: addresses, interfaces, ports, TCP flags, conntrack state,
// address types; rate limits and unknown modules as opaque expressions.
#include <set>
#include <string>
#include <vector>

#include "lib/firewall/iptables_save_parser_internal.h"

namespace mailflow::firewall::iptables_save_internal {

using nlohmann::json;

namespace {

std::vector<std::string> SplitComma(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t c = s.find(',', start);
    out.push_back(s.substr(
        start, c == std::string::npos ? std::string::npos : c - start));
    if (c == std::string::npos) break;
    start = c + 1;
  }
  return out;
}

bool ParseNumber(const std::string& s, int64_t* out) {
  if (s.empty() || s.size() > 9) return false;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}

// A port or "a:b" range (either side may be empty: ":b", "a:").
bool PortValue(const std::string& s, json* out) {
  size_t colon = s.find(':');
  if (colon == std::string::npos) {
    int64_t v;
    if (!ParseNumber(s, &v)) return false;
    *out = v;
    return true;
  }
  int64_t lo = 0, hi = 65535;
  std::string a = s.substr(0, colon), b = s.substr(colon + 1);
  if (!a.empty() && !ParseNumber(a, &lo)) return false;
  if (!b.empty() && !ParseNumber(b, &hi)) return false;
  *out = json{{"range", {lo, hi}}};
  return true;
}

json Match(const char* op, json left, json right) {
  return json{
      {"match",
       {{"op", op}, {"left", std::move(left)}, {"right", std::move(right)}}}};
}

json Payload(const std::string& proto, const char* field) {
  return json{{"payload", {{"protocol", proto}, {"field", field}}}};
}

json Xt(const char* type, const std::string& name) {
  return json{{"xt", {{"type", type}, {"name", name}}}};
}

// "10.0.0.0/8" -> {"prefix": ...}; "10.0.0.1/32" -> "10.0.0.1"; /0 -> null.
json Address(const std::string& a, bool v6) {
  size_t slash = a.find('/');
  if (slash == std::string::npos) return a;
  std::string addr = a.substr(0, slash);
  int64_t len;
  if (!ParseNumber(a.substr(slash + 1), &len)) return a;  // netmask form
  if (len == 0) return nullptr;
  if (len == (v6 ? 128 : 32)) return addr;
  return json{{"prefix", {{"addr", addr}, {"len", len}}}};
}

bool IsTopLevelOption(const std::string& w) {
  // clang-format off
  static const std::set<std::string> kTop = {
      "-m", "--match", "-j", "--jump", "-g", "--goto", "-p", "--protocol",
      "-s", "--source", "-d", "--destination", "-i", "--in-interface",
      "-o", "--out-interface", "!", "--dport", "--sport", "--dports",
      "--sports", "--destination-port", "--source-port"};
  // clang-format on
  return kTop.count(w) > 0;
}

struct RuleBuilder {
  std::string family;  // ip, ip6
  std::string proto;   // from -p
  json expr = json::array();
  std::set<std::string> modules_emitted;
};

}  // namespace

bool TranslateRuleOptions(const std::vector<std::string>& words, size_t i,
                          const std::string& family,
                          const std::set<std::string>& chains, json* expr,
                          std::string* err) {
  const bool v6 = family == "ip6";
  auto fail = [&](const std::string& msg) {
    *err = msg;
    return false;
  };
  RuleBuilder rb;
  rb.family = family;
  bool neg = false;
  bool has_verdict = false;
  auto need = [&](size_t n) { return i + n < words.size(); };
  while (i < words.size()) {
    const std::string w = words[i];
    if (w == "!") {
      neg = true;
      ++i;
      continue;
    }
    const char* op = neg ? "!=" : "==";
    if (w == "-p" || w == "--protocol") {
      if (!need(1)) return fail("-p without value");
      std::string p = Lower(words[i + 1]);
      if (p == "6") p = "tcp";
      if (p == "17") p = "udp";
      if (p == "ipv6-icmp" || p == "icmp6" || p == "58") p = "icmpv6";
      if (p != "all") {
        rb.expr.push_back(Match(op, json{{"meta", {{"key", "l4proto"}}}}, p));
      }
      rb.proto = neg ? "" : p;
      i += 2;
    } else if (w == "-s" || w == "--source" || w == "-d" ||
               w == "--destination") {
      if (!need(1)) return fail(w + " without value");
      bool src = w == "-s" || w == "--source";
      json set = json::array();
      bool always = false;
      for (const auto& a : SplitComma(words[i + 1])) {
        json v = Address(a, v6);
        if (v.is_null())
          always = true;
        else
          set.push_back(v);
      }
      json left = Payload(family, src ? "saddr" : "daddr");
      if (always) {
        if (neg)
          rb.expr.push_back(Match("==", left, json{{"set", json::array()}}));
      } else if (set.size() == 1) {
        rb.expr.push_back(Match(op, left, set[0]));
      } else {
        rb.expr.push_back(Match(op, left, json{{"set", set}}));
      }
      i += 2;
    } else if (w == "-i" || w == "--in-interface" || w == "-o" ||
               w == "--out-interface") {
      if (!need(1)) return fail(w + " without value");
      std::string dev = words[i + 1];
      if (!dev.empty() && dev.back() == '+') dev.back() = '*';
      bool in = w == "-i" || w == "--in-interface";
      rb.expr.push_back(Match(
          op, json{{"meta", {{"key", in ? "iifname" : "oifname"}}}}, dev));
      i += 2;
    } else if (w == "-m" || w == "--match") {
      if (!need(1)) return fail("-m without module");
      std::string mod = words[i + 1];
      i += 2;
      static const std::set<std::string> kKnown = {
          "tcp",     "udp",      "multiport", "conntrack", "state",
          "comment", "addrtype", "limit",     "hashlimit", "recent",
          "icmp",    "icmp6",    "pkttype",   "iprange",   "connlimit",
          "set",     "mark",     "mac",       "rt"};
      if (!kKnown.count(mod)) {
        rb.expr.push_back(Xt("match", mod));
        // Skip the module's options: everything up to a top-level option.
        while (i < words.size() && !IsTopLevelOption(words[i])) ++i;
      }
    } else if (w == "--dport" || w == "--destination-port" || w == "--sport" ||
               w == "--source-port") {
      if (!need(1)) return fail(w + " without value");
      json v;
      if (!PortValue(words[i + 1], &v)) return fail("bad port " + words[i + 1]);
      std::string proto = rb.proto.empty() ? "th" : rb.proto;
      bool dst = w == "--dport" || w == "--destination-port";
      rb.expr.push_back(Match(op, Payload(proto, dst ? "dport" : "sport"), v));
      i += 2;
    } else if (w == "--dports" || w == "--destination-ports" ||
               w == "--sports" || w == "--source-ports") {
      if (!need(1)) return fail(w + " without value");
      json set = json::array();
      for (const auto& p : SplitComma(words[i + 1])) {
        json v;
        if (!PortValue(p, &v)) return fail("bad port " + p);
        set.push_back(v);
      }
      std::string proto = rb.proto.empty() ? "th" : rb.proto;
      bool dst = w == "--dports" || w == "--destination-ports";
      rb.expr.push_back(Match(op, Payload(proto, dst ? "dport" : "sport"),
                              json{{"set", set}}));
      i += 2;
    } else if (w == "--ports") {  // multiport: source or destination
      rb.expr.push_back(Xt("match", "multiport"));
      i += 2;
    } else if (w == "--syn") {
      json left = {{"&",
                    {Payload("tcp", "flags"),
                     json::array({"fin", "syn", "rst", "ack"})}}};
      rb.expr.push_back(Match(op, left, "syn"));
      i += 1;
    } else if (w == "--tcp-flags") {
      if (!need(2)) return fail("--tcp-flags needs mask and comparison");
      auto flags = [](const std::string& s) {
        json a = json::array();
        std::string l = Lower(s);
        if (l == "none") return a;
        if (l == "all") l = "fin,syn,rst,psh,ack,urg";
        for (const auto& f : SplitComma(l)) a.push_back(f);
        return a;
      };
      json left = {{"&", {Payload("tcp", "flags"), flags(words[i + 1])}}};
      json cmp = flags(words[i + 2]);
      rb.expr.push_back(Match(op, left, cmp.empty() ? json(0) : cmp));
      i += 3;
    } else if (w == "--ctstate" || w == "--state") {
      if (!need(1)) return fail(w + " without value");
      json list = json::array();
      for (const auto& s : SplitComma(Lower(words[i + 1]))) list.push_back(s);
      json ct = {{"ct", {{"key", "state"}}}};
      if (neg) {
        rb.expr.push_back(Match("==", json{{"&", {ct, list}}}, 0));
      } else {
        rb.expr.push_back(Match("in", ct, list));
      }
      i += 2;
    } else if (w == "--ctstatus") {
      if (!need(1)) return fail(w + " without value");
      json list = json::array();
      for (const auto& s : SplitComma(Lower(words[i + 1]))) list.push_back(s);
      json ct = {{"ct", {{"key", "status"}}}};
      if (neg) {
        rb.expr.push_back(Match("==", json{{"&", {ct, list}}}, 0));
      } else {
        rb.expr.push_back(Match("in", ct, list));
      }
      i += 2;
    } else if (w.starts_with("--rt-")) {
      // Routing header options: a TCP SYN from a client carries none.
      rb.expr.push_back(
          Match(op, json{{"exthdr", {{"name", "rt"}, {"field", "type"}}}}, 0));
      i += 1;
      while (i < words.size() && !words[i].starts_with("-") && words[i] != "!")
        ++i;
    } else if (w == "--comment") {
      i += 2;
    } else if (w == "--dst-type" || w == "--src-type") {
      if (!need(1)) return fail(w + " without value");
      bool dst = w == "--dst-type";
      json left = {{"fib",
                    {{"result", "type"},
                     {"flags", json::array({dst ? "daddr" : "saddr"})}}}};
      json set = json::array();
      for (const auto& t : SplitComma(Lower(words[i + 1]))) set.push_back(t);
      rb.expr.push_back(
          Match(op, left, set.size() == 1 ? set[0] : json{{"set", set}}));
      i += 2;
    } else if (w == "--limit-iface-in") {
      i += 1;
    } else if (w == "--limit" || w == "--hashlimit" ||
               w == "--hashlimit-upto" || w == "--hashlimit-above" ||
               w == "--update" || w == "--rcheck" || w == "--connlimit-above" ||
               w == "--connlimit-upto") {
      // Rate and connection limits: the verdict depends on traffic.
      if (!rb.modules_emitted.count("limit")) {
        rb.expr.push_back(json{{"limit", {{"rate", 0}, {"per", "second"}}}});
        rb.modules_emitted.insert("limit");
      }
      i += 1;
      while (i < words.size() && !words[i].starts_with("-") && words[i] != "!")
        ++i;
    } else if (w == "--pkt-type") {
      if (!need(1)) return fail(w + " without value");
      std::string t = Lower(words[i + 1]);
      if (t == "unicast") t = "host";
      rb.expr.push_back(Match(op, json{{"meta", {{"key", "pkttype"}}}}, t));
      i += 2;
    } else if (w == "--src-range") {
      rb.expr.push_back(Match(op, Payload(family, "saddr"), "range"));
      i += 2;
    } else if (w == "--dst-range") {
      rb.expr.push_back(Match(op, Payload(family, "daddr"), "range"));
      i += 2;
    } else if (w == "--icmp-type" || w == "--icmpv6-type") {
      rb.expr.push_back(Match(op, Payload(v6 ? "icmpv6" : "icmp", "type"),
                              i + 1 < words.size() ? words[i + 1] : ""));
      i += 2;
    } else if (w == "--match-set") {
      // ipset: membership of an address we do not know.
      bool src = need(2) && words[i + 2].find("src") != std::string::npos;
      rb.expr.push_back(
          Match(op, Payload(family, src ? "saddr" : "daddr"), "ipset"));
      i += 3;
    } else if (w == "--set" || w == "--name" || w == "--mask" ||
               w == "--rsource" || w == "--rdest" || w == "--seconds" ||
               w == "--hitcount" || w == "--rttl" || w == "--reap" ||
               w.starts_with("--limit-burst") ||
               w.starts_with("--hashlimit-") || w.starts_with("--connlimit-")) {
      // Options of recent/limit/hashlimit/connlimit that do not decide by
      // themselves (their deciding option is handled above).
      i += 1;
      while (i < words.size() && !words[i].starts_with("-") && words[i] != "!")
        ++i;
    } else if (w == "--mark" || w == "--mac-source") {
      rb.expr.push_back(Xt("match", w.substr(2)));
      i += 2;
    } else if (w == "-j" || w == "--jump" || w == "-g" || w == "--goto") {
      if (!need(1)) return fail(w + " without target");
      std::string t = words[i + 1];
      i = words.size();  // target options follow; none changes the verdict
      has_verdict = true;
      if (w == "-g" || w == "--goto") {
        rb.expr.push_back(json{{"goto", {{"target", t}}}});
      } else if (t == "ACCEPT") {
        rb.expr.push_back(json{{"accept", nullptr}});
      } else if (t == "DROP") {
        rb.expr.push_back(json{{"drop", nullptr}});
      } else if (t == "REJECT") {
        rb.expr.push_back(json{{"reject", nullptr}});
      } else if (t == "RETURN") {
        rb.expr.push_back(json{{"return", nullptr}});
      } else if (t == "LOG" || t == "NFLOG" || t == "ULOG") {
        rb.expr.push_back(json{{"log", nullptr}});
      } else if (t == "MARK" || t == "CONNMARK" || t == "TCPMSS" || t == "CT" ||
                 t == "NOTRACK" || t == "SNAT" || t == "MASQUERADE" ||
                 t == "TRACE" || t == "CHECKSUM" || t == "DSCP" || t == "TOS" ||
                 t == "TTL" || t == "HL") {
        rb.expr.push_back(json{{"counter", nullptr}});
      } else if (chains.count(t)) {
        rb.expr.push_back(json{{"jump", {{"target", t}}}});
      } else {
        rb.expr.push_back(Xt("target", t));
      }
    } else if (w == "-c" || w == "--set-counters") {
      i += 3;
    } else if (w == "-f" || w == "--fragment") {
      rb.expr.push_back(Xt("match", "fragment"));
      i += 1;
    } else {
      // An option of a module we do not model: opaque, never an accept.
      rb.expr.push_back(Xt("match", w.starts_with("--") ? w.substr(2) : w));
      ++i;
      while (i < words.size() && !words[i].starts_with("-") && words[i] != "!")
        ++i;
    }
    neg = false;
  }
  (void)has_verdict;
  if (rb.expr.empty()) rb.expr.push_back(json{{"counter", nullptr}});
  *expr = std::move(rb.expr);
  return true;
}

}  // namespace mailflow::firewall::iptables_save_internal
