// Three-valued logic of the nftables evaluator: whether a match holds for
// the evaluated packet, does not, or cannot be decided (and why).
#pragma once

#include "lib/firewall/verdict.h"

namespace mailflow::firewall::nft {

/// The truth of a match for the evaluated packet. kUnknown: the packet
/// description does not decide it (source address, interface, rate limit,
/// unsupported expression).
enum class Tri { kFalse, kTrue, kUnknown };

/// A Tri with the reason an unknown result is unknown (kNone otherwise).
/// A value type; thread-compatible.
struct TriR {
  Tri t = Tri::kFalse;
  Reason reason = Reason::kNone;
  static TriR F() { return {Tri::kFalse, Reason::kNone}; }
  static TriR T() { return {Tri::kTrue, Reason::kNone}; }
  /// REQUIRES: `r` != Reason::kNone.
  static TriR U(Reason r) { return {Tri::kUnknown, r}; }
  static TriR Of(bool b) { return b ? T() : F(); }
};

}  // namespace mailflow::firewall::nft
