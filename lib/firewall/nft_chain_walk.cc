// NftChainWalk: base chains in hook order, verdict statements, vmaps, forks
// on undecided matches and their merging.
#include "lib/firewall/nft_chain_walk.h"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace mailflow::firewall {

using nft::Tri;
using nft::TriR;
using nft::Val;
using nlohmann::json;
using Chain = NftEvaluator::Chain;

Outcome NftChainWalk::Make(Verdict v, Reason r, std::string where) {
  Outcome o;
  o.verdict = v;
  o.reason = v == Verdict::kConditional ? r : Reason::kNone;
  o.where = std::move(where);
  return o;
}

std::string NftChainWalk::Where(const Chain& c, size_t rule) {
  std::string w = c.family + " " + c.table + " " + c.name;
  if (rule < c.handles.size()) {
    w += " handle " + std::to_string(c.handles[rule]);
  }
  return w;
}

std::string NftChainWalk::WhereState(const State& s) {
  if (s.stack.empty()) return "";
  return Where(*s.stack.back().chain, s.stack.back().rule);
}

Outcome NftChainWalk::Merge(Outcome a, Outcome b, Reason r,
                            const std::string& w) {
  if (a.verdict == b.verdict && a.verdict != Verdict::kConditional) return a;
  return Make(Verdict::kConditional, r, w);
}

// ---- the walk -------------------------------------------------------------
// Applies a verdict statement (accept, drop, reject, jump, goto, return,
// continue) to `s`. Returns a final outcome, or nullopt to go on with `s`.
// The current frame must already point past the statement.
std::optional<Outcome> NftChainWalk::Apply(State* s, const std::string& kind,
                                           const json& body,
                                           const std::string& where) {
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
    const Chain* t = ev_.FindChain(*from, target);
    if (!t) {
      return Make(Verdict::kConditional, Reason::kUnsupported,
                  where + " (unknown chain " + target + ")");
    }
    if (kind == "jump") {
      s->stack.back().rule++;
      s->stack.back().stmt = 0;
      if (s->stack.size() >= NftEvaluator::kMaxCallDepth) {
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
std::optional<Outcome> NftChainWalk::EndOfChainIfEmpty(
    State* s, const std::string& where) {
  if (!s->stack.empty()) return std::nullopt;
  const Chain* base = bases_[s->base];
  if (base->policy == "drop") {
    (void)where;
    return Make(
        Verdict::kDrop, Reason::kNone,
        "policy of " + base->family + " " + base->table + " " + base->name);
  }
  s->base++;
  s->started = false;
  return std::nullopt;
}

bool NftChainWalk::IsVerdictKind(const std::string& k) {
  return k == "accept" || k == "drop" || k == "reject" || k == "jump" ||
         k == "goto" || k == "return" || k == "continue";
}

Outcome NftChainWalk::VmapFrom(State s, const Val& v, const json& elems,
                               size_t k, const std::string& where) {
  for (; k < elems.size(); ++k) {
    const json& e = elems[k];
    if (!e.is_array() || e.size() != 2 || !e[1].is_object() || e[1].empty()) {
      return Make(Verdict::kConditional, Reason::kUnsupported, where);
    }
    TriR t = match_.Equal(v, e[0]);
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
bool NftChainWalk::RestOfRuleFalse(const State& s) const {
  const Frame& f = s.stack.back();
  const json& exprs = f.chain->rules[f.rule];
  for (size_t k = f.stmt + 1; k < exprs.size(); ++k) {
    const json& st = exprs[k];
    if (st.is_object() && st.size() == 1 && st.contains("match") &&
        match_.Match(*f.chain, st["match"]).t == Tri::kFalse) {
      return true;
    }
  }
  return false;
}

// Walk with memoization: forks whose branches meet again (a jump to a
// chain that returns, an undecided match before a shared tail) are
// evaluated once per distinct state, not once per path.
Outcome NftChainWalk::Walk(State s) {
  if (exhausted_) return Budget();
  std::string key = std::to_string(s.base) + (s.started ? "s" : "-");
  for (const Frame& f : s.stack) {
    key.append(":")
        .append(std::to_string(reinterpret_cast<uintptr_t>(f.chain)))
        .append(".")
        .append(std::to_string(f.rule))
        .append(".")
        .append(std::to_string(f.stmt));
  }
  auto it = memo_.find(key);
  if (it != memo_.end()) return it->second;
  Outcome o = WalkFrom(std::move(s));
  if (!exhausted_) memo_.emplace(std::move(key), o);
  return o;
}

Outcome NftChainWalk::Budget() {
  return Make(Verdict::kConditional, Reason::kUnsupported,
              "evaluation budget exceeded");
}

Outcome NftChainWalk::WalkFrom(State s) {
  if (++depth_ > kMaxForkDepth) {
    exhausted_ = true;
    --depth_;
    return Budget();
  }
  std::vector<Pending> pending;
  Outcome o = Loop(std::move(s), &pending);
  for (size_t i = pending.size(); i-- > 0;) {
    o = Merge(pending[i].taken, o, pending[i].reason, pending[i].where);
  }
  --depth_;
  return o;
}

// Evaluates the taken branch of an undecided match at `s`; returns true
// with `*final` set when the outcome is already known (conditional),
// else records it and advances `s` to the skipped branch.
bool NftChainWalk::ForkStep(State* s, Reason r, const std::string& where,
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

namespace {

// Goes on with the next rule of frame `f` (a NftChainWalk::Frame).
template <typename Frame>
void NextRule(Frame* f) {
  f->rule++;
  f->stmt = 0;
}

// `reject with icmp` only applies to IPv4 packets and `with icmpv6` only
// to IPv6 ones: nft adds the family as an implicit match.
bool RejectSkipsFamily(const json& body, Family family) {
  if (!body.is_object() || !body.contains("type") ||
      !body["type"].is_string()) {
    return false;
  }
  const std::string& t = body["type"].get_ref<const std::string&>();
  return (t == "icmp" && family != Family::kIPv4) ||
         (t == "icmpv6" && family != Family::kIPv6);
}

// Statements that do not change the verdict of the packet.
bool IsInertKind(const std::string& kind) {
  return kind == "counter" || kind == "log" || kind == "mangle" ||
         kind == "notrack" || kind == "set" || kind == "map" ||
         kind == "snat" || kind == "masquerade" || kind == "dup" ||
         kind == "ct helper" || kind == "ct timeout" ||
         kind == "ct expectation" || kind == "flow" || kind == "secmark" ||
         kind == "synproxy_no";
}

}  // namespace

Outcome NftChainWalk::Loop(State s, std::vector<Pending>* pending) {
  while (true) {
    if (++steps_ > NftEvaluator::kMaxSteps) {
      exhausted_ = true;
      return Budget();
    }
    std::optional<Outcome> fin =
        s.stack.empty() ? EnterBase(&s) : Step(&s, pending);
    if (fin) return *fin;
  }
}

std::optional<Outcome> NftChainWalk::EnterBase(State* s) {
  if (s->base >= bases_.size()) {
    return Make(Verdict::kAccept, Reason::kNone,
                bases_.empty() ? "no base chains" : "all base chains");
  }
  if (s->started) return std::nullopt;
  const Chain* b = bases_[s->base];
  s->started = true;
  s->stack.push_back({b, 0, 0});
  if (b->hook != "ingress") return std::nullopt;
  // Ingress chains see only the traffic of their devices (nft 1.0.6 does
  // not print the device in JSON: unknown means "maybe").
  bool only_lo = !b->devices.empty();
  for (const auto& d : b->devices) {
    if (d != "lo") only_lo = false;
  }
  State skip = *s;
  skip.stack.clear();
  skip.base++;
  skip.started = false;
  if (only_lo) {
    *s = std::move(skip);
    return std::nullopt;
  }
  Outcome in = Walk(*s);
  if (in.verdict == Verdict::kConditional) {
    return Make(Verdict::kConditional, Reason::kInterface, Where(*b, 0));
  }
  return Merge(in, Walk(std::move(skip)), Reason::kInterface, Where(*b, 0));
}

std::optional<Outcome> NftChainWalk::Step(State* s,
                                          std::vector<Pending>* pending) {
  Frame& f = s->stack.back();
  if (f.rule >= f.chain->rules.size()) {
    s->stack.pop_back();
    return EndOfChainIfEmpty(s, "");
  }
  const json& exprs = f.chain->rules[f.rule];
  if (f.stmt == 0 && f.chain->inert[f.rule]) {
    f.rule++;
    return std::nullopt;
  }
  if (f.stmt >= exprs.size()) {
    NextRule(&f);
    return std::nullopt;
  }
  const std::string where = Where(*f.chain, f.rule);
  const json& st = exprs[f.stmt];
  if (!st.is_object() || st.size() != 1) {
    return Make(Verdict::kConditional, Reason::kUnsupported, where);
  }
  const std::string& kind = st.begin().key();
  const json& body = st.begin().value();
  if (kind == "match") return MatchStatement(s, body, where, pending);
  if (kind == "reject" && RejectSkipsFamily(body, match_.family())) {
    NextRule(&f);
    return std::nullopt;
  }
  if (IsVerdictKind(kind)) {
    if (kind != "jump" && kind != "goto" && kind != "continue") f.stmt++;
    return Apply(s, kind, body, where);
  }
  if (kind == "vmap") return VmapStatement(s, body, where);
  if (kind == "limit" || kind == "meter" || kind == "quota" ||
      kind == "ct count") {
    return Undecided(s, Reason::kRateLimit, where, pending);
  }
  if (kind == "xt") return XtStatement(s, body, where, pending);
  if (IsInertKind(kind)) {
    f.stmt++;
    return std::nullopt;
  }
  return Make(Verdict::kConditional, Reason::kUnsupported,
              where + " (" + kind + ")");
}

std::optional<Outcome> NftChainWalk::MatchStatement(
    State* s, const json& body, const std::string& where,
    std::vector<Pending>* pending) {
  Frame& f = s->stack.back();
  TriR t = match_.Match(*f.chain, body);
  if (t.t == Tri::kTrue) {
    f.stmt++;
  } else if (t.t == Tri::kFalse) {
    NextRule(&f);
  } else {
    return Undecided(s, t.reason, where, pending);
  }
  return std::nullopt;
}

std::optional<Outcome> NftChainWalk::VmapStatement(State* s, const json& body,
                                                   const std::string& where) {
  Frame& f = s->stack.back();
  if (!body.is_object() || !body.contains("key") || !body.contains("data")) {
    return Make(Verdict::kConditional, Reason::kUnsupported, where);
  }
  Val v = match_.Eval(body["key"]);
  if (v.kind == Val::kAbsent) {
    f.stmt++;
    return std::nullopt;
  }
  const json& d = body["data"];
  const json* elems = nullptr;
  if (d.is_string()) {
    const std::string& ref = d.get_ref<const std::string&>();
    if (!ref.empty() && ref[0] == '@') elems = ev_.FindSet(*f.chain, ref);
  } else if (d.is_object() && d.contains("set") && d["set"].is_array()) {
    elems = &d["set"];
  }
  if (!elems) return Make(Verdict::kConditional, Reason::kUnsupported, where);
  return VmapFrom(std::move(*s), v, *elems, 0, where);
}

std::optional<Outcome> NftChainWalk::XtStatement(
    State* s, const json& body, const std::string& where,
    std::vector<Pending>* pending) {
  const std::string type = body.is_object() ? body.value("type", "") : "";
  const std::string name = body.is_object() ? body.value("name", "") : "";
  if ((type == "match" && name == "comment") ||
      (type == "target" &&
       (name == "LOG" || name == "NFLOG" || name == "ULOG" || name == "MARK" ||
        name == "CONNMARK"))) {
    s->stack.back().stmt++;
    return std::nullopt;
  }
  if (type == "target" && name == "REJECT") {
    return Make(Verdict::kReject, Reason::kNone, where);
  }
  if (type == "match") {
    return Undecided(s, Reason::kUnsupported, where, pending);
  }
  return Make(Verdict::kConditional, Reason::kUnsupported,
              where + " (xt " + name + ")");
}

std::optional<Outcome> NftChainWalk::Undecided(State* s, Reason r,
                                               const std::string& where,
                                               std::vector<Pending>* pending) {
  if (RestOfRuleFalse(*s)) {
    NextRule(&s->stack.back());
    return std::nullopt;
  }
  Outcome fin;
  if (ForkStep(s, r, where, pending, &fin)) return fin;
  return std::nullopt;
}

}  // namespace mailflow::firewall
