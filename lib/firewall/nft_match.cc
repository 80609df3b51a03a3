// NftMatch: the value of a left-hand expression for the evaluated packet,
// and its comparison with the right-hand side.
#include "lib/firewall/nft_match.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mailflow::firewall {

using nft::FlagName;
using nft::Tri;
using nft::TriR;
using nft::Val;
using nlohmann::json;
using Chain = NftEvaluator::Chain;

namespace {

TriR Not(TriR a) {
  if (a.t == Tri::kUnknown) return a;
  return TriR::Of(a.t == Tri::kFalse);
}

// OR over alternatives: true wins, else the first unknown, else false.
void OrInto(TriR* acc, TriR x) {
  if (acc->t == Tri::kTrue) return;
  if (x.t == Tri::kTrue) {
    *acc = x;
    return;
  }
  if (x.t == Tri::kUnknown && acc->t == Tri::kFalse) *acc = x;
}

// AND: false wins, else the first unknown, else true.
void AndInto(TriR* acc, TriR x) {
  if (acc->t == Tri::kFalse) return;
  if (x.t == Tri::kFalse) {
    *acc = x;
    return;
  }
  if (x.t == Tri::kUnknown && acc->t == Tri::kTrue) *acc = x;
}

constexpr FlagName kCtState[] = {{"invalid", 1},
                                 {"established", 2},
                                 {"related", 4},
                                 {"new", 8},
                                 {"untracked", 64}};
constexpr FlagName kTcpFlags[] = {{"fin", 1},  {"syn", 2},  {"rst", 4},
                                  {"psh", 8},  {"ack", 16}, {"urg", 32},
                                  {"ecn", 64}, {"cwr", 128}};
constexpr FlagName kCtStatus[] = {
    {"expected", 1}, {"seen-reply", 2}, {"assured", 4}, {"confirmed", 8},
    {"snat", 16},    {"dnat", 32},      {"dying", 512}};

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

// ---- left-hand expressions --------------------------------------------
Val NftMatch::Eval(const json& e) const {
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
    auto m = v.kind == Val::kFlags
                 ? FlagValue(v, body[1])
                 : (body[1].is_number_integer()
                        ? std::optional<int64_t>(body[1].get<int64_t>())
                        : std::nullopt);
    if (!m) return Val::Unknown(Reason::kUnsupported);
    v.i &= *m;
    v.s.clear();
    return v;
  }
  return Val::Unknown(Reason::kUnsupported);
}

Val NftMatch::Payload(const json& p) const {
  if (!p.is_object() || !p.contains("protocol") || !p.contains("field")) {
    return Val::Unknown(Reason::kUnsupported);  // raw payload
  }
  const std::string proto = p.value("protocol", "");
  const std::string field = p.value("field", "");
  if (proto == "tcp" || proto == "th") {
    if (field == "dport") return Val::Int(port_);
    if (field == "sport") return Val::Unknown(Reason::kSourceAddress);
    if (field == "flags" && proto == "tcp") return Val::Flags(2, kTcpFlags);
    return Val::Unknown(Reason::kUnsupported);
  }
  if (proto == "ip" || proto == "ip6") {
    bool v4 = proto == "ip";
    if (v4 != (family_ == Family::kIPv4)) return Val::Absent();
    if (field == "saddr") return Val::Unknown(Reason::kSourceAddress);
    if (field == "daddr") return Val::Unknown(Reason::kDestinationAddress);
    if (field == "protocol" || field == "nexthdr") return Val::Int(6, "tcp");
    if (field == "version") return Val::Int(v4 ? 4 : 6);
    return Val::Unknown(Reason::kUnsupported);
  }
  if (proto == "ether") {
    if (field == "saddr") return Val::Unknown(Reason::kSourceAddress);
    if (field == "type") {
      return family_ == Family::kIPv4 ? Val::Int(0x0800, "ip")
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

Val NftMatch::Meta(const json& m) const {
  const std::string key = m.is_object() ? m.value("key", "") : "";
  const bool v4 = family_ == Family::kIPv4;
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

Val NftMatch::Ct(const json& c) const {
  const std::string key = c.is_object() ? c.value("key", "") : "";
  if (key == "state") return Val::Flags(8, kCtState);
  if (key == "status") return Val::Flags(0, kCtStatus);
  if (key == "direction") return Val::Int(0, "original");
  if (key == "l3proto") {
    return family_ == Family::kIPv4 ? Val::Int(2, "ipv4")
                                    : Val::Int(10, "ipv6");
  }
  if (key == "protocol") return Val::Int(6, "tcp");
  if (key == "proto-dst") return Val::Int(port_);
  if (key == "saddr" || key == "proto-src") {
    return Val::Unknown(Reason::kSourceAddress);
  }
  if (key == "daddr") return Val::Unknown(Reason::kDestinationAddress);
  return Val::Unknown(Reason::kUnsupported);
}

Val NftMatch::Fib(const json& f) const {
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
TriR NftMatch::Equal(const Val& v, const json& raw) const {
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
const json* NftMatch::SetElems(const Chain& c, const json& r,
                               bool* missing) const {
  *missing = false;
  if (r.is_string() && !r.get_ref<const std::string&>().empty() &&
      r.get_ref<const std::string&>()[0] == '@') {
    const json* s = ev_.FindSet(c, r.get<std::string>());
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

TriR NftMatch::Match(const Chain& c, const json& m) const {
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

}  // namespace mailflow::firewall
