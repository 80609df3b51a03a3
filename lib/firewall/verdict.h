// Verdicts of the firewall evaluator: what a new inbound TCP connection from
// an outside address gets, and why when it cannot be decided.
#pragma once

#include <string>
#include <string_view>

namespace mailflow::firewall {

enum class Verdict { kAccept, kDrop, kReject, kConditional };

/// Why a verdict is conditional. A bounded set (it becomes a label value).
enum class Reason {
  kNone,
  kSourceAddress,       // ip saddr, ip6 saddr, tcp sport, ether saddr
  kDestinationAddress,  // ip daddr: depends on the local address dialled
  kInterface,           // iif/iifname other than lo, ingress device
  kRateLimit,           // limit, meter, quota, ct count, -m recent/hashlimit
  kAddressFamily,       // IPv4 and IPv6 clients get different verdicts
  kUnsupported,         // an expression the evaluator cannot decide
};

std::string_view VerdictName(Verdict v);  // accept, drop, reject, conditional
std::string_view ReasonName(Reason r);    // source_address, ..., "" for kNone

inline constexpr Verdict kAllVerdicts[] = {
    Verdict::kAccept, Verdict::kDrop, Verdict::kReject, Verdict::kConditional};
inline constexpr Reason kAllReasons[] = {
    Reason::kSourceAddress, Reason::kDestinationAddress, Reason::kInterface,
    Reason::kRateLimit,     Reason::kAddressFamily,      Reason::kUnsupported};

/// The outcome for one port: verdict, reason (kNone unless conditional) and
/// where it was decided ("inet filter input handle 7", "policy of ...").
struct Outcome {
  Verdict verdict = Verdict::kAccept;
  Reason reason = Reason::kNone;
  std::string where;
  /// The rule at `where` as nft prints it ("tcp dport 25 drop"); "" for a
  /// chain policy, a manager's verdict, or when no single rule decided.
  std::string rule;

  bool operator==(const Outcome& o) const {
    return verdict == o.verdict && reason == o.reason;
  }
};

}  // namespace mailflow::firewall
