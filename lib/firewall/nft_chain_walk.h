// NftChainWalk: one evaluation of an nftables ruleset for one packet, the
// walk through its base chains with forks on undecided matches.
#pragma once

#include <cstddef>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "lib/firewall/nft_evaluator.h"
#include "lib/firewall/nft_match.h"
#include "lib/firewall/verdict.h"

namespace mailflow::firewall {

/// Walks the base chains `bases` (in hook order) for the packet of `match`:
/// rules in order, jump/goto/return, verdicts, vmaps, chain policies. An
/// undecided match forks the walk; the outcomes of both branches are
/// merged (equal verdicts stay, different ones are kConditional).
///
/// Work is bounded by NftEvaluator::kMaxSteps steps, kMaxCallDepth nested
/// chains and kMaxForkDepth nested forks; beyond them exhausted() is true.
/// Borrows the evaluator, which must outlive it. One walk per object, not
/// thread-safe (each NftEvaluator::Evaluate makes its own).
class NftChainWalk {
 public:
  /// Position in the walk: the base chain reached, whether it has been
  /// entered, and the call stack of (chain, rule, statement).
  struct Frame {
    const NftEvaluator::Chain* chain;
    size_t rule;
    size_t stmt;
  };
  struct State {
    size_t base = 0;
    bool started = false;
    std::vector<Frame> stack;
  };

  /// REQUIRES: `bases` are base chains of `ev`, relevant to `family`.
  NftChainWalk(const NftEvaluator& ev, Family family, int port,
               std::vector<const NftEvaluator::Chain*> bases)
      : ev_(ev), match_(ev, family, port), bases_(std::move(bases)) {}

  /// The outcome of the walk from `s`. When exhausted() afterwards, the
  /// outcome is meaningless: use Budget().
  Outcome Walk(State s);
  bool exhausted() const { return exhausted_; }
  /// The outcome when the work bound was reached.
  static Outcome Budget();

 private:
  static constexpr int kMaxForkDepth = 500;

  // An undecided match whose taken branch has been evaluated; the skipped
  // branch continues in the same loop (no recursion per fork), and the
  // outcomes are merged when the walk ends.
  struct Pending {
    Outcome taken;
    Reason reason;
    std::string where;
  };

  static Outcome Make(Verdict v, Reason r, std::string where);
  static std::string Where(const NftEvaluator::Chain& c, size_t rule);
  static std::string WhereState(const State& s);
  static Outcome Merge(Outcome a, Outcome b, Reason r, const std::string& w);
  static bool IsVerdictKind(const std::string& k);

  std::optional<Outcome> Apply(State* s, const std::string& kind,
                               const nlohmann::json& body,
                               const std::string& where);
  std::optional<Outcome> EndOfChainIfEmpty(State* s, const std::string& where);
  Outcome VmapFrom(State s, const nft::Val& v, const nlohmann::json& elems,
                   size_t k, const std::string& where);
  bool RestOfRuleFalse(const State& s) const;
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
  std::optional<Outcome> MatchStatement(State* s, const nlohmann::json& body,
                                        const std::string& where,
                                        std::vector<Pending>* pending);
  std::optional<Outcome> VmapStatement(State* s, const nlohmann::json& body,
                                       const std::string& where);
  std::optional<Outcome> XtStatement(State* s, const nlohmann::json& body,
                                     const std::string& where,
                                     std::vector<Pending>* pending);
  // A statement that may or may not apply (reason `r`): the rule is
  // skipped when a later match is false, else the walk forks.
  std::optional<Outcome> Undecided(State* s, Reason r, const std::string& where,
                                   std::vector<Pending>* pending);

  const NftEvaluator& ev_;
  const NftMatch match_;
  const std::vector<const NftEvaluator::Chain*> bases_;
  int steps_ = 0;
  bool exhausted_ = false;
  int depth_ = 0;
  std::map<std::string, Outcome> memo_;
};

}  // namespace mailflow::firewall
