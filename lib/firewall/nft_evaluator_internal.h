// Internal to the nftables evaluator (nft_evaluator*.cc): the three-valued
// match logic, the packet's values (Val) and NftEvaluator::Run, shared by the
// expression matching (nft_evaluator_match.cc), the chain walk
// (nft_evaluator_walk.cc) and the loader (nft_evaluator.cc). Not a public
// header.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "lib/firewall/nft_evaluator.h"

namespace mailflow::firewall {
namespace nft_evaluator_internal {

enum class Tri { kFalse, kTrue, kUnknown };

struct TriR {
  Tri t = Tri::kFalse;
  Reason reason = Reason::kNone;
  static TriR F() { return {Tri::kFalse, Reason::kNone}; }
  static TriR T() { return {Tri::kTrue, Reason::kNone}; }
  static TriR U(Reason r) { return {Tri::kUnknown, r}; }
  static TriR Of(bool b) { return b ? T() : F(); }
};

struct FlagName {
  const char* name;
  int64_t bit;
};

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

}  // namespace nft_evaluator_internal

using nft_evaluator_internal::FlagName;
using nft_evaluator_internal::Tri;
using nft_evaluator_internal::TriR;
using nft_evaluator_internal::Val;
using nlohmann::json;

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

  // ---- left-hand expressions (nft_evaluator_match.cc) --------------------
  Val Eval(const json& e) const;
  Val Payload(const json& p) const;
  Val Meta(const json& m) const;
  Val Ct(const json& c) const;
  Val Fib(const json& f) const;

  // ---- comparisons (nft_evaluator_match.cc) -------------------------------
  TriR Equal(const Val& v, const json& raw) const;
  const json* SetElems(const Chain& c, const json& r, bool* missing) const;
  TriR Match(const Chain& c, const json& m) const;

  // ---- the walk (nft_evaluator_walk.cc) -----------------------------------
  std::optional<Outcome> Apply(State* s, const std::string& kind,
                               const json& body, const std::string& where);
  std::optional<Outcome> EndOfChainIfEmpty(State* s, const std::string& where);
  static bool IsVerdictKind(const std::string& k);
  Outcome VmapFrom(State s, const Val& v, const json& elems, size_t k,
                   const std::string& where);
  bool RestOfRuleFalse(const State& s) const;
  Outcome Walk(State s);
  static Outcome Budget();

  // An undecided match whose taken branch has been evaluated; the skipped
  // branch continues in the same loop (no recursion per fork), and the
  // outcomes are merged when the walk ends.
  struct Pending {
    Outcome taken;
    Reason reason;
    std::string where;
  };

  Outcome WalkFrom(State s);
  bool ForkStep(State* s, Reason r, const std::string& where,
                std::vector<Pending>* pending, Outcome* final);
  // The walk from `s` until an outcome: each step enters the next base
  // chain or evaluates one statement. Undecided matches fork into
  // `pending`.
  Outcome Loop(State s, std::vector<Pending>* pending);
  // With an empty stack: the next base chain (an ingress chain forks on
  // its devices), or the outcome when all base chains accepted. nullopt:
  // go on with `s`.
  std::optional<Outcome> EnterBase(State* s);
  // One statement of the current frame (or the end of its chain).
  // nullopt: go on with `s`.
  std::optional<Outcome> Step(State* s, std::vector<Pending>* pending);
  std::optional<Outcome> MatchStatement(State* s, const json& body,
                                        const std::string& where,
                                        std::vector<Pending>* pending);
  std::optional<Outcome> VmapStatement(State* s, const json& body,
                                       const std::string& where);
  std::optional<Outcome> XtStatement(State* s, const json& body,
                                     const std::string& where,
                                     std::vector<Pending>* pending);
  // A statement that may or may not apply (reason `r`): the rule is
  // skipped when a later match is false, else the walk forks.
  std::optional<Outcome> Undecided(State* s, Reason r, const std::string& where,
                                   std::vector<Pending>* pending);
};

}  // namespace mailflow::firewall
