// The matches and targets of one iptables-save rule as nft JSON
// statements: addresses, interfaces, ports, TCP flags, conntrack state,
// address types; rate limits and unknown modules as opaque expressions.
#include "lib/firewall/iptables_rule_translator.h"

#include <set>
#include <string>
#include <vector>

#include "lib/base/ascii_lower.h"
#include "lib/base/parse_int.h"

namespace mailflow::firewall {

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

// 1 to 9 decimal digits.
bool ParseNumber(const std::string& s, int64_t* out) {
  return s.size() <= 9 && IsDigits(s) && ParseInt(s, 0, 999999999, out);
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

// Skips the values of an option (the words up to the next option).
size_t SkipValues(const std::vector<std::string>& words, size_t i) {
  while (i < words.size() && !words[i].starts_with("-") && words[i] != "!") {
    ++i;
  }
  return i;
}

// The translation of one rule: each option (with its values) from `i_` on
// becomes statements in `expr_`; a failure leaves its message in `error_`.
class RuleTranslator {
 public:
  RuleTranslator(const std::vector<std::string>& words, size_t i,
                 const std::string& family, const std::set<std::string>& chains)
      : words_(words),
        i_(i),
        family_(family),
        v6_(family == "ip6"),
        chains_(chains) {}

  bool Run(json* expr, std::string* err) {
    while (i_ < words_.size()) {
      const std::string w = words_[i_];
      if (w == "!") {
        neg_ = true;
        ++i_;
        continue;
      }
      if (!HeaderMatch(w) && !PortMatch(w) && !StateMatch(w) &&
          !LimitOption(w) && !OtherMatch(w) && !Target(w)) {
        Opaque(w);
      }
      if (!error_.empty()) {
        *err = error_;
        return false;
      }
      neg_ = false;
    }
    if (expr_.empty()) expr_.push_back(json{{"counter", nullptr}});
    *expr = std::move(expr_);
    return true;
  }

 private:
  const char* Op() const { return neg_ ? "!=" : "=="; }
  bool Need(size_t n) const { return i_ + n < words_.size(); }
  const std::string& Value(size_t n = 1) const { return words_[i_ + n]; }
  // Records `msg` as the failure; true (the option was handled).
  bool Fail(const std::string& msg) {
    error_ = msg;
    return true;
  }
  void Add(json statement) { expr_.push_back(std::move(statement)); }

  // -p, -s/-d, -i/-o, -m.
  bool HeaderMatch(const std::string& w) {
    if (w == "-p" || w == "--protocol") return Protocol();
    if (w == "-s" || w == "--source" || w == "-d" || w == "--destination") {
      return Addresses(w, w == "-s" || w == "--source");
    }
    if (w == "-i" || w == "--in-interface" || w == "-o" ||
        w == "--out-interface") {
      if (!Need(1)) return Fail(w + " without value");
      std::string dev = Value();
      if (!dev.empty() && dev.back() == '+') dev.back() = '*';
      const bool in = w == "-i" || w == "--in-interface";
      Add(Match(Op(), json{{"meta", {{"key", in ? "iifname" : "oifname"}}}},
                dev));
      i_ += 2;
      return true;
    }
    if (w == "-m" || w == "--match") return Module();
    return false;
  }

  bool Protocol() {
    if (!Need(1)) return Fail("-p without value");
    std::string p = AsciiLower(Value());
    if (p == "6") p = "tcp";
    if (p == "17") p = "udp";
    if (p == "ipv6-icmp" || p == "icmp6" || p == "58") p = "icmpv6";
    if (p != "all") Add(Match(Op(), json{{"meta", {{"key", "l4proto"}}}}, p));
    proto_ = neg_ ? "" : p;
    i_ += 2;
    return true;
  }

  bool Addresses(const std::string& w, bool src) {
    if (!Need(1)) return Fail(w + " without value");
    json set = json::array();
    bool always = false;
    for (const auto& a : SplitComma(Value())) {
      json v = Address(a, v6_);
      if (v.is_null()) {
        always = true;
      } else {
        set.push_back(v);
      }
    }
    json left = Payload(family_, src ? "saddr" : "daddr");
    if (always) {
      if (neg_) Add(Match("==", left, json{{"set", json::array()}}));
    } else if (set.size() == 1) {
      Add(Match(Op(), left, set[0]));
    } else {
      Add(Match(Op(), left, json{{"set", set}}));
    }
    i_ += 2;
    return true;
  }

  bool Module() {
    if (!Need(1)) return Fail("-m without module");
    std::string mod = Value();
    i_ += 2;
    static const std::set<std::string> kKnown = {
        "tcp",     "udp",      "multiport", "conntrack", "state",
        "comment", "addrtype", "limit",     "hashlimit", "recent",
        "icmp",    "icmp6",    "pkttype",   "iprange",   "connlimit",
        "set",     "mark",     "mac",       "rt"};
    if (!kKnown.count(mod)) {
      Add(Xt("match", mod));
      // Skip the module's options: everything up to a top-level option.
      while (i_ < words_.size() && !IsTopLevelOption(words_[i_])) ++i_;
    }
    return true;
  }

  // --dport/--sport, --dports/--sports (multiport), --ports.
  bool PortMatch(const std::string& w) {
    const bool one = w == "--dport" || w == "--destination-port" ||
                     w == "--sport" || w == "--source-port";
    const bool list = w == "--dports" || w == "--destination-ports" ||
                      w == "--sports" || w == "--source-ports";
    if (w == "--ports") {  // multiport: source or destination
      Add(Xt("match", "multiport"));
      i_ += 2;
      return true;
    }
    if (!one && !list) return false;
    if (!Need(1)) return Fail(w + " without value");
    json set = json::array();
    for (const auto& p :
         one ? std::vector<std::string>{Value()} : SplitComma(Value())) {
      json v;
      if (!PortValue(p, &v)) return Fail("bad port " + p);
      set.push_back(v);
    }
    const std::string proto = proto_.empty() ? "th" : proto_;
    const bool dst = w == "--dport" || w == "--destination-port" ||
                     w == "--dports" || w == "--destination-ports";
    Add(Match(Op(), Payload(proto, dst ? "dport" : "sport"),
              one ? set[0] : json{{"set", set}}));
    i_ += 2;
    return true;
  }

  // --syn, --tcp-flags, --ctstate/--state, --ctstatus.
  bool StateMatch(const std::string& w) {
    if (w == "--syn") {
      json left = {{"&",
                    {Payload("tcp", "flags"),
                     json::array({"fin", "syn", "rst", "ack"})}}};
      Add(Match(Op(), left, "syn"));
      i_ += 1;
      return true;
    }
    if (w == "--tcp-flags") {
      if (!Need(2)) return Fail("--tcp-flags needs mask and comparison");
      json left = {{"&", {Payload("tcp", "flags"), TcpFlags(Value(1))}}};
      json cmp = TcpFlags(Value(2));
      Add(Match(Op(), left, cmp.empty() ? json(0) : cmp));
      i_ += 3;
      return true;
    }
    if (w == "--ctstate" || w == "--state" || w == "--ctstatus") {
      if (!Need(1)) return Fail(w + " without value");
      json list = json::array();
      for (const auto& s : SplitComma(AsciiLower(Value()))) list.push_back(s);
      json ct = {{"ct", {{"key", w == "--ctstatus" ? "status" : "state"}}}};
      if (neg_) {
        Add(Match("==", json{{"&", {ct, list}}}, 0));
      } else {
        Add(Match("in", ct, list));
      }
      i_ += 2;
      return true;
    }
    return false;
  }

  static json TcpFlags(const std::string& s) {
    json a = json::array();
    std::string l = AsciiLower(s);
    if (l == "none") return a;
    if (l == "all") l = "fin,syn,rst,psh,ack,urg";
    for (const auto& f : SplitComma(l)) a.push_back(f);
    return a;
  }

  // Rate and connection limits (the verdict depends on traffic) and the
  // options of recent/limit/hashlimit/connlimit that do not decide by
  // themselves.
  bool LimitOption(const std::string& w) {
    if (w == "--limit-iface-in") {
      i_ += 1;
      return true;
    }
    if (w == "--limit" || w == "--hashlimit" || w == "--hashlimit-upto" ||
        w == "--hashlimit-above" || w == "--update" || w == "--rcheck" ||
        w == "--connlimit-above" || w == "--connlimit-upto") {
      if (!limit_emitted_) {
        Add(json{{"limit", {{"rate", 0}, {"per", "second"}}}});
        limit_emitted_ = true;
      }
      i_ = SkipValues(words_, i_ + 1);
      return true;
    }
    if (w == "--set" || w == "--name" || w == "--mask" || w == "--rsource" ||
        w == "--rdest" || w == "--seconds" || w == "--hitcount" ||
        w == "--rttl" || w == "--reap" || w.starts_with("--limit-burst") ||
        w.starts_with("--hashlimit-") || w.starts_with("--connlimit-")) {
      i_ = SkipValues(words_, i_ + 1);
      return true;
    }
    return false;
  }

  // Routing headers, comments, address types, packet types, address
  // ranges, ICMP types, ipsets, marks, fragments.
  bool OtherMatch(const std::string& w) {
    if (w.starts_with("--rt-")) {
      // Routing header options: a TCP SYN from a client carries none.
      Add(Match(Op(), json{{"exthdr", {{"name", "rt"}, {"field", "type"}}}},
                0));
      i_ = SkipValues(words_, i_ + 1);
    } else if (w == "--comment") {
      i_ += 2;
    } else if (w == "--dst-type" || w == "--src-type") {
      if (!Need(1)) return Fail(w + " without value");
      json left = {
          {"fib",
           {{"result", "type"},
            {"flags", json::array({w == "--dst-type" ? "daddr" : "saddr"})}}}};
      json set = json::array();
      for (const auto& t : SplitComma(AsciiLower(Value()))) set.push_back(t);
      Add(Match(Op(), left, set.size() == 1 ? set[0] : json{{"set", set}}));
      i_ += 2;
    } else if (w == "--pkt-type") {
      if (!Need(1)) return Fail(w + " without value");
      std::string t = AsciiLower(Value());
      if (t == "unicast") t = "host";
      Add(Match(Op(), json{{"meta", {{"key", "pkttype"}}}}, t));
      i_ += 2;
    } else if (w == "--src-range" || w == "--dst-range") {
      Add(Match(Op(), Payload(family_, w == "--src-range" ? "saddr" : "daddr"),
                "range"));
      i_ += 2;
    } else if (w == "--icmp-type" || w == "--icmpv6-type") {
      Add(Match(Op(), Payload(v6_ ? "icmpv6" : "icmp", "type"),
                Need(1) ? Value() : ""));
      i_ += 2;
    } else if (w == "--match-set") {
      // ipset: membership of an address we do not know.
      const bool src = Need(2) && Value(2).find("src") != std::string::npos;
      Add(Match(Op(), Payload(family_, src ? "saddr" : "daddr"), "ipset"));
      i_ += 3;
    } else if (w == "--mark" || w == "--mac-source") {
      Add(Xt("match", w.substr(2)));
      i_ += 2;
    } else if (w == "-c" || w == "--set-counters") {
      i_ += 3;
    } else if (w == "-f" || w == "--fragment") {
      Add(Xt("match", "fragment"));
      i_ += 1;
    } else {
      return false;
    }
    return true;
  }

  // -j/-g: the verdict; the target's own options follow and none changes
  // it, so the rule ends here.
  bool Target(const std::string& w) {
    if (w != "-j" && w != "--jump" && w != "-g" && w != "--goto") return false;
    if (!Need(1)) return Fail(w + " without target");
    const std::string t = Value();
    i_ = words_.size();
    if (w == "-g" || w == "--goto") {
      Add(json{{"goto", {{"target", t}}}});
    } else if (t == "ACCEPT") {
      Add(json{{"accept", nullptr}});
    } else if (t == "DROP") {
      Add(json{{"drop", nullptr}});
    } else if (t == "REJECT") {
      Add(json{{"reject", nullptr}});
    } else if (t == "RETURN") {
      Add(json{{"return", nullptr}});
    } else if (t == "LOG" || t == "NFLOG" || t == "ULOG") {
      Add(json{{"log", nullptr}});
    } else if (t == "MARK" || t == "CONNMARK" || t == "TCPMSS" || t == "CT" ||
               t == "NOTRACK" || t == "SNAT" || t == "MASQUERADE" ||
               t == "TRACE" || t == "CHECKSUM" || t == "DSCP" || t == "TOS" ||
               t == "TTL" || t == "HL") {
      Add(json{{"counter", nullptr}});
    } else if (chains_.count(t)) {
      Add(json{{"jump", {{"target", t}}}});
    } else {
      Add(Xt("target", t));
    }
    return true;
  }

  // An option of a module we do not model: opaque, never an accept.
  void Opaque(const std::string& w) {
    Add(Xt("match", w.starts_with("--") ? w.substr(2) : w));
    i_ = SkipValues(words_, i_ + 1);
  }

  const std::vector<std::string>& words_;
  size_t i_;
  const std::string family_;  // ip, ip6
  const bool v6_;
  const std::set<std::string>& chains_;
  std::string proto_;  // from -p
  bool neg_ = false;   // the option follows "!"
  bool limit_emitted_ = false;
  json expr_ = json::array();
  std::string error_;
};

}  // namespace

bool TranslateIptablesRuleOptions(const std::vector<std::string>& words,
                                  size_t i, const std::string& family,
                                  const std::set<std::string>& chains,
                                  json* expr, std::string* err) {
  return RuleTranslator(words, i, family, chains).Run(expr, err);
}

}  // namespace mailflow::firewall
