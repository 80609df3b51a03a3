#include "collectors/firewall/nft_evaluator.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <utility>

namespace mailflow::firewall {

using nlohmann::json;

std::string_view VerdictName(Verdict v) {
  switch (v) {
    case Verdict::kAccept: return "accept";
    case Verdict::kDrop: return "drop";
    case Verdict::kReject: return "reject";
    case Verdict::kConditional: return "conditional";
  }
  return "conditional";
}

std::string_view ReasonName(Reason r) {
  switch (r) {
    case Reason::kNone: return "";
    case Reason::kSourceAddress: return "source_address";
    case Reason::kDestinationAddress: return "destination_address";
    case Reason::kInterface: return "interface";
    case Reason::kRateLimit: return "rate_limit";
    case Reason::kAddressFamily: return "address_family";
    case Reason::kUnsupported: return "unsupported";
  }
  return "unsupported";
}

std::string_view FamilyName(Family f) {
  return f == Family::kIPv4 ? "ipv4" : "ipv6";
}

namespace {

enum class Tri { kFalse, kTrue, kUnknown };

struct TriR {
  Tri t = Tri::kFalse;
  Reason reason = Reason::kNone;
  static TriR F() { return {Tri::kFalse, Reason::kNone}; }
  static TriR T() { return {Tri::kTrue, Reason::kNone}; }
  static TriR U(Reason r) { return {Tri::kUnknown, r}; }
  static TriR Of(bool b) { return b ? T() : F(); }
};

TriR Not(TriR a) {
  if (a.t == Tri::kUnknown) return a;
  return TriR::Of(a.t == Tri::kFalse);
}

// OR over alternatives: true wins, else the first unknown, else false.
void OrInto(TriR* acc, TriR x) {
  if (acc->t == Tri::kTrue) return;
  if (x.t == Tri::kTrue) { *acc = x; return; }
  if (x.t == Tri::kUnknown && acc->t == Tri::kFalse) *acc = x;
}

// AND: false wins, else the first unknown, else true.
void AndInto(TriR* acc, TriR x) {
  if (acc->t == Tri::kFalse) return;
  if (x.t == Tri::kFalse) { *acc = x; return; }
  if (x.t == Tri::kUnknown && acc->t == Tri::kTrue) *acc = x;
}

struct FlagName {
  const char* name;
  int64_t bit;
};
constexpr FlagName kCtState[] = {{"invalid", 1}, {"established", 2},
                                 {"related", 4}, {"new", 8},
                                 {"untracked", 64}};
constexpr FlagName kTcpFlags[] = {{"fin", 1},  {"syn", 2},  {"rst", 4},
                                  {"psh", 8},  {"ack", 16}, {"urg", 32},
                                  {"ecn", 64}, {"cwr", 128}};
constexpr FlagName kCtStatus[] = {{"expected", 1}, {"seen-reply", 2},
                                  {"assured", 4},  {"confirmed", 8},
                                  {"snat", 16},    {"dnat", 32},
                                  {"dying", 512}};

// The value of a left-hand expression for the evaluated packet.
struct Val {
  enum Kind { kAbsent, kInt, kFlags, kIface, kUnknown, kConcat } kind = kAbsent;
  int64_t i = 0;
  std::string s;  // symbolic name of an kInt (tcp, ipv4, host, local...)
  const FlagName* flags = nullptr;
  size_t nflags = 0;
  Reason reason = Reason::kNone;
  std::vector<Val> parts;

  static Val Absent() { return Val(); }
  static Val Int(int64_t v, std::string name = "") {
    Val x;
    x.kind = kInt;
    x.i = v;
    x.s = std::move(name);
    return x;
  }
  template <size_t N>
  static Val Flags(int64_t v, const FlagName (&names)[N]) {
    Val x;
    x.kind = kFlags;
    x.i = v;
    x.flags = names;
    x.nflags = N;
    return x;
  }
  static Val Iface() {
    Val x;
    x.kind = kIface;
    return x;
  }
  static Val Unknown(Reason r) {
    Val x;
    x.kind = kUnknown;
    x.reason = r;
    return x;
  }
};

// Resolves a right-hand flag value (name, number or list of names).
std::optional<int64_t> FlagValue(const Val& v, const json& j) {
  if (j.is_number_integer()) return j.get<int64_t>();
  if (j.is_string()) {
    const auto& s = j.get_ref<const std::string&>();
    for (size_t k = 0; k < v.nflags; ++k) {
      if (s == v.flags[k].name) return v.flags[k].bit;
    }
    return std::nullopt;
  }
  if (j.is_array()) {
    int64_t m = 0;
    for (const auto& e : j) {
      auto b = FlagValue(v, e);
      if (!b) return std::nullopt;
      m |= *b;
    }
    return m;
  }
  return std::nullopt;
}

bool IsLoopbackName(const json& j) {
  return j.is_string() && j.get_ref<const std::string&>() == "lo";
}

const json* Unwrap(const json& e) {
  // Set elements with options: {"elem": {"val": X, "timeout": ...}}.
  if (e.is_object() && e.contains("elem") && e["elem"].is_object() &&
      e["elem"].contains("val")) {
    return &e["elem"]["val"];
  }
  return &e;
}

int64_t Cmp(int64_t a, int64_t b) { return a < b ? -1 : (a > b ? 1 : 0); }

}  // namespace

// One evaluation: the packet, the step budget and the fork machinery.
struct NftEvaluator::Run {
  const NftEvaluator& ev;
  Family family;
  int port;
  std::vector<const Chain*> bases;
  int steps = 0;
  bool exhausted = false;
  int depth = 0;
  static constexpr int kMaxForkDepth = 500;
  std::map<std::string, Outcome> memo;

  struct Frame {
    const Chain* chain;
    size_t rule;
    size_t stmt;
  };
  struct State {
    size_t base = 0;
    bool started = false;
    std::vector<Frame> stack;
  };

  static Outcome Make(Verdict v, Reason r, std::string where) {
    Outcome o;
    o.verdict = v;
    o.reason = v == Verdict::kConditional ? r : Reason::kNone;
    o.where = std::move(where);
    return o;
  }

  static std::string Where(const Chain& c, size_t rule) {
    std::string w = c.family + " " + c.table + " " + c.name;
    if (rule < c.handles.size()) {
      w += " handle " + std::to_string(c.handles[rule]);
    }
    return w;
  }
  static std::string WhereState(const State& s) {
    if (s.stack.empty()) return "";
    return Where(*s.stack.back().chain, s.stack.back().rule);
  }

  static Outcome Merge(Outcome a, Outcome b, Reason r, const std::string& w) {
    if (a.verdict == b.verdict && a.verdict != Verdict::kConditional) return a;
    return Make(Verdict::kConditional, r, w);
  }

  const Chain* FindChain(const Chain& from, const std::string& name) const {
    auto it = ev.chains_.find({from.family, from.table, name});
    return it == ev.chains_.end() ? nullptr : &it->second;
  }

  const json* FindSet(const Chain& from, const std::string& ref) const {
    std::string name = ref.substr(1);
    auto it = ev.sets_.find({from.family, from.table, name});
    return it == ev.sets_.end() ? nullptr : &it->second;
  }

  // ---- left-hand expressions --------------------------------------------
  Val Eval(const json& e) const {
    if (!e.is_object() || e.empty()) return Val::Unknown(Reason::kUnsupported);
    const std::string& key = e.begin().key();
    const json& body = e.begin().value();
    if (key == "payload") return Payload(body);
    if (key == "meta") return Meta(body);
    if (key == "ct") return Ct(body);
    if (key == "fib") return Fib(body);
    // Extension headers (IPv6 routing, hop-by-hop, ...) and TCP options: a
    // plain SYN from a client is assumed to carry no extension header.
    if (key == "exthdr") return Val::Absent();
    if (key == "concat" && body.is_array()) {
      Val v;
      v.kind = Val::kConcat;
      for (const auto& p : body) {
        Val pv = Eval(p);
        if (pv.kind == Val::kAbsent) return Val::Absent();
        v.parts.push_back(std::move(pv));
      }
      return v;
    }
    if (key == "&" && body.is_array() && body.size() == 2) {
      Val v = Eval(body[0]);
      if (v.kind == Val::kAbsent || v.kind == Val::kUnknown) return v;
      if (v.kind != Val::kFlags && v.kind != Val::kInt) {
        return Val::Unknown(Reason::kUnsupported);
      }
      auto m = v.kind == Val::kFlags ? FlagValue(v, body[1])
                                     : (body[1].is_number_integer()
                                            ? std::optional<int64_t>(
                                                  body[1].get<int64_t>())
                                            : std::nullopt);
      if (!m) return Val::Unknown(Reason::kUnsupported);
      v.i &= *m;
      v.s.clear();
      return v;
    }
    return Val::Unknown(Reason::kUnsupported);
  }

  Val Payload(const json& p) const {
    if (!p.is_object() || !p.contains("protocol") || !p.contains("field")) {
      return Val::Unknown(Reason::kUnsupported);  // raw payload
    }
    const std::string proto = p.value("protocol", "");
    const std::string field = p.value("field", "");
    if (proto == "tcp" || proto == "th") {
      if (field == "dport") return Val::Int(port);
      if (field == "sport") return Val::Unknown(Reason::kSourceAddress);
      if (field == "flags" && proto == "tcp") return Val::Flags(2, kTcpFlags);
      return Val::Unknown(Reason::kUnsupported);
    }
    if (proto == "ip" || proto == "ip6") {
      bool v4 = proto == "ip";
      if (v4 != (family == Family::kIPv4)) return Val::Absent();
      if (field == "saddr") return Val::Unknown(Reason::kSourceAddress);
      if (field == "daddr") return Val::Unknown(Reason::kDestinationAddress);
      if (field == "protocol" || field == "nexthdr") return Val::Int(6, "tcp");
      if (field == "version") return Val::Int(v4 ? 4 : 6);
      return Val::Unknown(Reason::kUnsupported);
    }
    if (proto == "ether") {
      if (field == "saddr") return Val::Unknown(Reason::kSourceAddress);
      if (field == "type") {
        return family == Family::kIPv4 ? Val::Int(0x0800, "ip")
                                       : Val::Int(0x86dd, "ip6");
      }
      return Val::Unknown(Reason::kUnsupported);
    }
    // udp, sctp, dccp, icmp, icmpv6, arp, udplite, ...: not in a TCP packet.
    static const char* kOther[] = {"udp",  "udplite", "sctp", "dccp",
                                   "icmp", "icmpv6",  "arp",  "igmp",
                                   "esp",  "ah",      "comp", "gre"};
    for (const char* o : kOther) {
      if (proto == o) return Val::Absent();
    }
    return Val::Unknown(Reason::kUnsupported);
  }

  Val Meta(const json& m) const {
    const std::string key = m.is_object() ? m.value("key", "") : "";
    const bool v4 = family == Family::kIPv4;
    if (key == "l4proto") return Val::Int(6, "tcp");
    if (key == "nfproto") return v4 ? Val::Int(2, "ipv4") : Val::Int(10, "ipv6");
    if (key == "protocol") {
      return v4 ? Val::Int(0x0800, "ip") : Val::Int(0x86dd, "ip6");
    }
    if (key == "iif" || key == "iifname") return Val::Iface();
    if (key == "iiftype") return Val::Int(1, "ether");
    if (key == "iifgroup") return Val::Unknown(Reason::kInterface);
    if (key == "pkttype") return Val::Int(0, "host");
    return Val::Unknown(Reason::kUnsupported);
  }

  Val Ct(const json& c) const {
    const std::string key = c.is_object() ? c.value("key", "") : "";
    if (key == "state") return Val::Flags(8, kCtState);
    if (key == "status") return Val::Flags(0, kCtStatus);
    if (key == "direction") return Val::Int(0, "original");
    if (key == "l3proto") {
      return family == Family::kIPv4 ? Val::Int(2, "ipv4") : Val::Int(10, "ipv6");
    }
    if (key == "protocol") return Val::Int(6, "tcp");
    if (key == "proto-dst") return Val::Int(port);
    if (key == "saddr" || key == "proto-src") {
      return Val::Unknown(Reason::kSourceAddress);
    }
    if (key == "daddr") return Val::Unknown(Reason::kDestinationAddress);
    return Val::Unknown(Reason::kUnsupported);
  }

  Val Fib(const json& f) const {
    if (!f.is_object()) return Val::Unknown(Reason::kUnsupported);
    const std::string result = f.value("result", "");
    std::vector<std::string> flags;
    if (f.contains("flags")) {
      const json& fl = f["flags"];
      if (fl.is_string()) flags.push_back(fl.get<std::string>());
      if (fl.is_array()) {
        for (const auto& x : fl) {
          if (x.is_string()) flags.push_back(x.get<std::string>());
        }
      }
    }
    auto has = [&](const char* n) {
      return std::find(flags.begin(), flags.end(), n) != flags.end();
    };
    if (result == "type" && has("daddr")) return Val::Int(2, "local");
    if (result == "type" && has("saddr")) {
      return Val::Unknown(Reason::kSourceAddress);
    }
    // Reverse path filter (`fib saddr . iif oif missing drop`): a client
    // reachable from outside passes it.
    if ((result == "oif" || result == "oifname") && has("saddr")) {
      Val v = Val::Int(1, "present");
      return v;
    }
    return Val::Unknown(Reason::kUnsupported);
  }

  // ---- comparisons -------------------------------------------------------
  // Compares `v` with one right-hand element for equality.
  TriR Equal(const Val& v, const json& raw) const {
    const json& r = *Unwrap(raw);
    switch (v.kind) {
      case Val::kAbsent:
        return TriR::F();
      case Val::kUnknown:
        if (r.is_object() && r.contains("prefix") &&
            r["prefix"].value("len", -1) == 0) {
          return TriR::T();
        }
        return TriR::U(v.reason);
      case Val::kIface:
        if (IsLoopbackName(r)) return TriR::F();
        if (r.is_string() && r.get_ref<const std::string&>() == "*") {
          return TriR::T();
        }
        return TriR::U(Reason::kInterface);
      case Val::kConcat: {
        if (!r.is_object() || !r.contains("concat") || !r["concat"].is_array() ||
            r["concat"].size() != v.parts.size()) {
          return TriR::U(Reason::kUnsupported);
        }
        TriR acc = TriR::T();
        for (size_t k = 0; k < v.parts.size(); ++k) {
          AndInto(&acc, Equal(v.parts[k], r["concat"][k]));
        }
        return acc;
      }
      case Val::kFlags: {
        auto m = FlagValue(v, r);
        if (!m) return TriR::U(Reason::kUnsupported);
        return TriR::Of(v.i == *m);
      }
      case Val::kInt: {
        if (r.is_number_integer()) return TriR::Of(v.i == r.get<int64_t>());
        // `exists` / `missing` (fib oif, exthdr) print as JSON booleans.
        if (r.is_boolean()) return TriR::Of((v.i != 0) == r.get<bool>());
        if (r.is_string()) {
          const auto& s = r.get_ref<const std::string&>();
          if (!v.s.empty()) return TriR::Of(s == v.s);
          return TriR::U(Reason::kUnsupported);
        }
        if (r.is_object() && r.contains("range") && r["range"].is_array() &&
            r["range"].size() == 2 && r["range"][0].is_number_integer() &&
            r["range"][1].is_number_integer()) {
          return TriR::Of(v.i >= r["range"][0].get<int64_t>() &&
                          v.i <= r["range"][1].get<int64_t>());
        }
        return TriR::U(Reason::kUnsupported);
      }
    }
    return TriR::U(Reason::kUnsupported);
  }

  // Elements of a set reference ("@name") or anonymous set; nullptr if
  // `r` is not a set.
  const json* SetElems(const Chain& c, const json& r, bool* missing) const {
    *missing = false;
    if (r.is_string() && !r.get_ref<const std::string&>().empty() &&
        r.get_ref<const std::string&>()[0] == '@') {
      const json* s = FindSet(c, r.get<std::string>());
      if (!s) *missing = true;
      return s;
    }
    if (r.is_object() && r.contains("set")) {
      const json& s = r["set"];
      if (s.is_array()) return &s;
      *missing = true;  // a single-element set printed as a scalar
      return nullptr;
    }
    return nullptr;
  }

  TriR Match(const Chain& c, const json& m) const {
    if (!m.is_object() || !m.contains("left") || !m.contains("right")) {
      return TriR::U(Reason::kUnsupported);
    }
    const std::string op = m.value("op", "==");
    Val v = Eval(m["left"]);
    if (v.kind == Val::kAbsent) return TriR::F();
    const json& r = m["right"];

    bool missing = false;
    const json* elems = SetElems(c, r, &missing);
    if (r.is_object() && r.contains("set") && !r["set"].is_array()) {
      elems = nullptr;
      missing = false;
      TriR e = Equal(v, r["set"]);
      return op == "!=" ? Not(e) : e;
    }
    if (missing) return TriR::U(Reason::kUnsupported);
    if (elems) {
      TriR any = TriR::F();
      for (const auto& e : *elems) {
        // Maps used as sets: [key, value] pairs.
        const json& k = (e.is_array() && e.size() == 2) ? e[0] : e;
        OrInto(&any, Equal(v, k));
      }
      if (op == "==" || op == "in") return any;
      if (op == "!=") return Not(any);
      return TriR::U(Reason::kUnsupported);
    }

    if (r.is_array()) {  // flag list
      if (v.kind == Val::kUnknown) return TriR::U(v.reason);
      if (v.kind != Val::kFlags) return TriR::U(Reason::kUnsupported);
      auto mask = FlagValue(v, r);
      if (!mask) return TriR::U(Reason::kUnsupported);
      if (op == "in") return TriR::Of((v.i & *mask) != 0);
      if (op == "==") return TriR::Of(v.i == *mask);
      if (op == "!=") return TriR::Of(v.i != *mask);
      return TriR::U(Reason::kUnsupported);
    }

    if (op == "==") return Equal(v, r);
    if (op == "!=") return Not(Equal(v, r));
    if (op == "in") {
      if (v.kind == Val::kFlags) {
        auto mask = FlagValue(v, r);
        if (!mask) return TriR::U(Reason::kUnsupported);
        return TriR::Of((v.i & *mask) != 0);
      }
      return Equal(v, r);
    }
    if (op == "<" || op == ">" || op == "<=" || op == ">=") {
      if (v.kind == Val::kUnknown) return TriR::U(v.reason);
      if (v.kind != Val::kInt || !r.is_number_integer()) {
        return TriR::U(Reason::kUnsupported);
      }
      int64_t c3 = Cmp(v.i, r.get<int64_t>());
      if (op == "<") return TriR::Of(c3 < 0);
      if (op == ">") return TriR::Of(c3 > 0);
      if (op == "<=") return TriR::Of(c3 <= 0);
      return TriR::Of(c3 >= 0);
    }
    return TriR::U(Reason::kUnsupported);
  }

  // ---- the walk -------------------------------------------------------------
  // Applies a verdict statement (accept, drop, reject, jump, goto, return,
  // continue) to `s`. Returns a final outcome, or nullopt to go on with `s`.
  // The current frame must already point past the statement.
  std::optional<Outcome> Apply(State* s, const std::string& kind,
                               const json& body, const std::string& where) {
    if (kind == "accept") {
      s->stack.clear();
      s->base++;
      s->started = false;
      return std::nullopt;
    }
    if (kind == "drop") return Make(Verdict::kDrop, Reason::kNone, where);
    if (kind == "reject") return Make(Verdict::kReject, Reason::kNone, where);
    if (kind == "continue") {
      s->stack.back().rule++;
      s->stack.back().stmt = 0;
      return std::nullopt;
    }
    if (kind == "return") {
      s->stack.pop_back();
      return EndOfChainIfEmpty(s, where);
    }
    if (kind == "jump" || kind == "goto") {
      std::string target =
          body.is_object() ? body.value("target", "") : std::string();
      const Chain* from = s->stack.back().chain;
      const Chain* t = FindChain(*from, target);
      if (!t) {
        return Make(Verdict::kConditional, Reason::kUnsupported,
                    where + " (unknown chain " + target + ")");
      }
      if (kind == "jump") {
        s->stack.back().rule++;
        s->stack.back().stmt = 0;
        if (s->stack.size() >= kMaxCallDepth) {
          return Make(Verdict::kConditional, Reason::kUnsupported,
                      where + " (call depth)");
        }
        s->stack.push_back({t, 0, 0});
      } else {
        s->stack.back() = {t, 0, 0};
      }
      return std::nullopt;
    }
    return Make(Verdict::kConditional, Reason::kUnsupported,
                where + " (verdict " + kind + ")");
  }

  // After a pop: an empty stack means the base chain ended: its policy.
  std::optional<Outcome> EndOfChainIfEmpty(State* s, const std::string& where) {
    if (!s->stack.empty()) return std::nullopt;
    const Chain* base = bases[s->base];
    if (base->policy == "drop") {
      (void)where;
      return Make(Verdict::kDrop, Reason::kNone,
                  "policy of " + base->family + " " + base->table + " " +
                      base->name);
    }
    s->base++;
    s->started = false;
    return std::nullopt;
  }

  static bool IsVerdictKind(const std::string& k) {
    return k == "accept" || k == "drop" || k == "reject" || k == "jump" ||
           k == "goto" || k == "return" || k == "continue";
  }

  Outcome VmapFrom(State s, const Val& v, const json& elems, size_t k,
                   const std::string& where) {
    for (; k < elems.size(); ++k) {
      const json& e = elems[k];
      if (!e.is_array() || e.size() != 2 || !e[1].is_object() ||
          e[1].empty()) {
        return Make(Verdict::kConditional, Reason::kUnsupported, where);
      }
      TriR t = Equal(v, e[0]);
      if (t.t == Tri::kFalse) continue;
      const std::string& kind = e[1].begin().key();
      const json& body = e[1].begin().value();
      if (!IsVerdictKind(kind)) {
        return Make(Verdict::kConditional, Reason::kUnsupported, where);
      }
      State a = s;
      Outcome taken;
      if (auto fin = Apply(&a, kind, body, where)) {
        taken = *fin;
      } else {
        taken = Walk(std::move(a));
      }
      if (t.t == Tri::kTrue) return taken;
      if (taken.verdict == Verdict::kConditional) {
        return Make(Verdict::kConditional, t.reason, where);
      }
      Outcome rest = VmapFrom(s, v, elems, k + 1, where);
      return Merge(taken, rest, t.reason, where);
    }
    s.stack.back().stmt++;
    return Walk(std::move(s));
  }

  // True when a later match of the current rule is false for the packet:
  // matches are pure and conjunctive, so the rule does not apply whatever
  // the undecided one says (avoids forking on `ip saddr X tcp dport 26`).
  bool RestOfRuleFalse(const State& s) const {
    const Frame& f = s.stack.back();
    const json& exprs = f.chain->rules[f.rule];
    for (size_t k = f.stmt + 1; k < exprs.size(); ++k) {
      const json& st = exprs[k];
      if (st.is_object() && st.size() == 1 && st.contains("match") &&
          Match(*f.chain, st["match"]).t == Tri::kFalse) {
        return true;
      }
    }
    return false;
  }

  // Walk with memoization: forks whose branches meet again (a jump to a
  // chain that returns, an undecided match before a shared tail) are
  // evaluated once per distinct state, not once per path.
  Outcome Walk(State s) {
    if (exhausted) return Budget();
    std::string key = std::to_string(s.base) + (s.started ? "s" : "-");
    for (const Frame& f : s.stack) {
      key += ":" + std::to_string(reinterpret_cast<uintptr_t>(f.chain)) + "." +
             std::to_string(f.rule) + "." + std::to_string(f.stmt);
    }
    auto it = memo.find(key);
    if (it != memo.end()) return it->second;
    Outcome o = WalkFrom(std::move(s));
    if (!exhausted) memo.emplace(std::move(key), o);
    return o;
  }

  static Outcome Budget() {
    return Make(Verdict::kConditional, Reason::kUnsupported,
                "evaluation budget exceeded");
  }

  // An undecided match whose taken branch has been evaluated; the skipped
  // branch continues in the same loop (no recursion per fork), and the
  // outcomes are merged when the walk ends.
  struct Pending {
    Outcome taken;
    Reason reason;
    std::string where;
  };

  Outcome WalkFrom(State s) {
    if (++depth > kMaxForkDepth) {
      exhausted = true;
      --depth;
      return Budget();
    }
    std::vector<Pending> pending;
    Outcome o = Loop(std::move(s), &pending);
    for (size_t i = pending.size(); i-- > 0;) {
      o = Merge(pending[i].taken, o, pending[i].reason, pending[i].where);
    }
    --depth;
    return o;
  }

  // Evaluates the taken branch of an undecided match at `s`; returns true
  // with `*final` set when the outcome is already known (conditional),
  // else records it and advances `s` to the skipped branch.
  bool ForkStep(State* s, Reason r, const std::string& where,
                std::vector<Pending>* pending, Outcome* final) {
    State a = *s;
    a.stack.back().stmt++;
    Outcome taken = Walk(std::move(a));
    if (taken.verdict == Verdict::kConditional) {
      *final = Make(Verdict::kConditional, r, where);
      return true;
    }
    pending->push_back({std::move(taken), r, where});
    s->stack.back().rule++;
    s->stack.back().stmt = 0;
    return false;
  }

  Outcome Loop(State s, std::vector<Pending>* pending) {
    while (true) {
      if (++steps > kMaxSteps) {
        exhausted = true;
        return Budget();
      }
      if (s.stack.empty()) {
        if (s.base >= bases.size()) {
          return Make(Verdict::kAccept, Reason::kNone,
                      bases.empty() ? "no base chains" : "all base chains");
        }
        if (!s.started) {
          const Chain* b = bases[s.base];
          s.started = true;
          s.stack.push_back({b, 0, 0});
          // Ingress chains see only the traffic of their devices (nft 1.0.6
          // does not print the device in JSON: unknown means "maybe").
          bool only_lo = !b->devices.empty();
          for (const auto& d : b->devices) {
            if (d != "lo") only_lo = false;
          }
          if (b->hook == "ingress") {
            if (only_lo) {
              s.stack.clear();
              s.base++;
              s.started = false;
              continue;
            }
            State skip = s;
            skip.stack.clear();
            skip.base++;
            skip.started = false;
            Outcome in = Walk(s);
            if (in.verdict == Verdict::kConditional) {
              return Make(Verdict::kConditional, Reason::kInterface,
                          Where(*b, 0));
            }
            return Merge(in, Walk(std::move(skip)), Reason::kInterface,
                         Where(*b, 0));
          }
        }
        continue;
      }
      Frame& f = s.stack.back();
      if (f.rule >= f.chain->rules.size()) {
        s.stack.pop_back();
        if (auto fin = EndOfChainIfEmpty(&s, "")) return *fin;
        continue;
      }
      const json& exprs = f.chain->rules[f.rule];
      if (f.stmt == 0 && f.chain->inert[f.rule]) {
        f.rule++;
        continue;
      }
      if (f.stmt >= exprs.size()) {
        f.rule++;
        f.stmt = 0;
        continue;
      }
      const std::string where = Where(*f.chain, f.rule);
      const json& st = exprs[f.stmt];
      if (!st.is_object() || st.size() != 1) {
        return Make(Verdict::kConditional, Reason::kUnsupported, where);
      }
      const std::string& kind = st.begin().key();
      const json& body = st.begin().value();
      if (kind == "match") {
        TriR t = Match(*f.chain, body);
        if (t.t == Tri::kTrue) {
          f.stmt++;
        } else if (t.t == Tri::kFalse) {
          f.rule++;
          f.stmt = 0;
        } else if (RestOfRuleFalse(s)) {
          f.rule++;
          f.stmt = 0;
        } else {
          Outcome fin;
          if (ForkStep(&s, t.reason, where, pending, &fin)) return fin;
        }
        continue;
      }
      if (kind == "reject" && body.is_object() && body.contains("type") &&
          body["type"].is_string()) {
        // `reject with icmp` only applies to IPv4 packets and `with icmpv6`
        // only to IPv6 ones: nft adds the family as an implicit match.
        const std::string& t = body["type"].get_ref<const std::string&>();
        if ((t == "icmp" && family != Family::kIPv4) ||
            (t == "icmpv6" && family != Family::kIPv6)) {
          f.rule++;
          f.stmt = 0;
          continue;
        }
      }
      if (IsVerdictKind(kind)) {
        if (kind != "jump" && kind != "goto" && kind != "continue") f.stmt++;
        if (auto fin = Apply(&s, kind, body, where)) return *fin;
        continue;
      }
      if (kind == "vmap") {
        if (!body.is_object() || !body.contains("key") ||
            !body.contains("data")) {
          return Make(Verdict::kConditional, Reason::kUnsupported, where);
        }
        Val v = Eval(body["key"]);
        if (v.kind == Val::kAbsent) {
          f.stmt++;
          continue;
        }
        const json& d = body["data"];
        const json* elems = nullptr;
        if (d.is_string()) {
          const std::string& ref = d.get_ref<const std::string&>();
          if (!ref.empty() && ref[0] == '@') elems = FindSet(*f.chain, ref);
        } else if (d.is_object() && d.contains("set") && d["set"].is_array()) {
          elems = &d["set"];
        }
        if (!elems) {
          return Make(Verdict::kConditional, Reason::kUnsupported, where);
        }
        return VmapFrom(std::move(s), v, *elems, 0, where);
      }
      if (kind == "limit" || kind == "meter" || kind == "quota" ||
          kind == "ct count") {
        if (RestOfRuleFalse(s)) {
          f.rule++;
          f.stmt = 0;
          continue;
        }
        Outcome fin;
        if (ForkStep(&s, Reason::kRateLimit, where, pending, &fin)) return fin;
        continue;
      }
      if (kind == "xt") {
        const std::string type = body.is_object() ? body.value("type", "") : "";
        const std::string name = body.is_object() ? body.value("name", "") : "";
        if (type == "match" && name == "comment") {
          f.stmt++;
          continue;
        }
        if (type == "target" && (name == "LOG" || name == "NFLOG" ||
                                 name == "ULOG" || name == "MARK" ||
                                 name == "CONNMARK")) {
          f.stmt++;
          continue;
        }
        if (type == "target" && name == "REJECT") {
          return Make(Verdict::kReject, Reason::kNone, where);
        }
        if (type == "match") {
          if (RestOfRuleFalse(s)) {
            f.rule++;
            f.stmt = 0;
            continue;
          }
          Outcome fin;
          if (ForkStep(&s, Reason::kUnsupported, where, pending, &fin)) return fin;
          continue;
        }
        return Make(Verdict::kConditional, Reason::kUnsupported,
                    where + " (xt " + name + ")");
      }
      // Statements that do not change the verdict of the packet.
      if (kind == "counter" || kind == "log" || kind == "mangle" ||
          kind == "notrack" || kind == "set" || kind == "map" ||
          kind == "snat" || kind == "masquerade" || kind == "dup" ||
          kind == "ct helper" || kind == "ct timeout" ||
          kind == "ct expectation" || kind == "flow" || kind == "secmark" ||
          kind == "synproxy_no") {
        f.stmt++;
        continue;
      }
      return Make(Verdict::kConditional, Reason::kUnsupported,
                  where + " (" + kind + ")");
    }
  }
};

namespace {

int HookOrder(const std::string& hook) {
  if (hook == "ingress") return 0;
  if (hook == "prerouting") return 1;
  if (hook == "input") return 2;
  return -1;
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
  auto str = [](const json& o, const char* k) -> std::string {
    if (o.contains(k) && o[k].is_string()) return o[k].get<std::string>();
    return "";
  };
  size_t index = 0;
  for (const json& item : doc["nftables"]) {
    ++index;
    if (!item.is_object() || item.size() != 1) {
      *err = "nft JSON: object " + std::to_string(index) + " is not {kind: {...}}";
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
      tables_.push_back(str(o, "family") + " " + str(o, "name"));
    } else if (kind == "chain") {
      Key key{str(o, "family"), str(o, "table"), str(o, "name")};
      Chain& c = chains_[key];
      c.family = std::get<0>(key);
      c.table = std::get<1>(key);
      c.name = std::get<2>(key);
      c.hook = str(o, "hook");
      c.type = str(o, "type");
      c.policy = str(o, "policy");
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
    } else if (kind == "rule") {
      Key key{str(o, "family"), str(o, "table"), str(o, "chain")};
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
      bool inert = true;
      for (const auto& e : o["expr"]) {
        if (!e.is_object() || e.size() != 1) {
          inert = false;
          break;
        }
        const std::string& k = e.begin().key();
        bool benign = k == "match" || k == "counter" || k == "log" ||
                      k == "limit" || k == "quota" || k == "meter" ||
                      k == "ct count" || k == "notrack" || k == "set";
        if (k == "xt" && e[k].is_object()) {
          std::string t = e[k].value("type", ""), n = e[k].value("name", "");
          benign = t == "match" || n == "LOG" || n == "NFLOG" || n == "ULOG";
        }
        if (!benign) {
          inert = false;
          break;
        }
      }
      it->second.inert.push_back(inert);
      it->second.rules.push_back(o["expr"]);
      it->second.handles.push_back(
          o.contains("handle") && o["handle"].is_number_integer()
              ? o["handle"].get<int64_t>()
              : -1);
      ++rule_count_;
    } else if (kind == "set" || kind == "map") {
      Key key{str(o, "family"), str(o, "table"), str(o, "name")};
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
    // metainfo, flowtable, counter, quota, ct helper, ...: not needed.
  }
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
  std::stable_sort(order.begin(), order.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [k, c] : order) bases_.push_back(c);
  return true;
}

bool NftEvaluator::HasXt(std::string_view family) const {
  return std::find(xt_families_.begin(), xt_families_.end(), family) !=
         xt_families_.end();
}

Outcome NftEvaluator::Evaluate(int port, Family family) const {
  Run run{*this, family, port, {}, 0, false, 0, {}};
  for (const Chain* c : bases_) {
    bool relevant = c->family == "inet" || c->family == "netdev" ||
                    (c->family == "ip" && family == Family::kIPv4) ||
                    (c->family == "ip6" && family == Family::kIPv6);
    if (relevant) run.bases.push_back(c);
  }
  Outcome o = run.Walk(Run::State{});
  return run.exhausted ? Run::Budget() : o;
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
  o.where = "ipv4: " + std::string(VerdictName(v4.verdict)) + " (" + v4.where +
            "), ipv6: " + std::string(VerdictName(v6.verdict)) + " (" +
            v6.where + ")";
  return o;
}

}  // namespace mailflow::firewall
