// NftMatch: what nftables match expressions say about the evaluated packet
// (a new inbound TCP SYN to one port, see NftEvaluator).
#pragma once

#include <nlohmann/json.hpp>

#include "lib/firewall/nft_evaluator.h"
#include "lib/firewall/nft_tri.h"
#include "lib/firewall/nft_value.h"

namespace mailflow::firewall {

/// Evaluates the left-hand expressions of one packet (family, destination
/// port) to values and compares them with right-hand sides (values, sets,
/// ranges, prefixes, concatenations) in three-valued logic.
///
/// Borrows the evaluator (its named sets), which must outlive it. Stateless
/// after construction: const methods, thread-compatible.
class NftMatch {
 public:
  NftMatch(const NftEvaluator& ev, Family family, int port)
      : ev_(ev), family_(family), port_(port) {}

  Family family() const { return family_; }

  /// The value of left-hand expression `e` for the packet.
  nft::Val Eval(const nlohmann::json& e) const;
  /// Whether `v` equals (or is in) the right-hand side `raw`.
  nft::TriR Equal(const nft::Val& v, const nlohmann::json& raw) const;
  /// The elements of set `r` (an anonymous {"set": [...]} or a "@name" of
  /// `c`'s table). nullptr when `r` is not a set or its elements are not
  /// known; `*missing` then tells the latter (a named set that does not
  /// exist, a single-element set printed as a scalar).
  const nlohmann::json* SetElems(const NftEvaluator::Chain& c,
                                 const nlohmann::json& r, bool* missing) const;
  /// The body of a "match" statement of a rule of chain `c`.
  nft::TriR Match(const NftEvaluator::Chain& c, const nlohmann::json& m) const;

 private:
  nft::Val Payload(const nlohmann::json& p) const;
  nft::Val Meta(const nlohmann::json& m) const;
  nft::Val Ct(const nlohmann::json& c) const;
  nft::Val Fib(const nlohmann::json& f) const;

  const NftEvaluator& ev_;
  Family family_;
  int port_;
};

}  // namespace mailflow::firewall
