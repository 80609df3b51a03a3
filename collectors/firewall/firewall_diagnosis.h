// What the firewall collector saw in one collection (each backend's verdict
// per port, with the deciding rule) and the findings of step "firewall".
// Pure.
#pragma once

#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "collectors/finding.h"
#include "lib/firewall/verdict.h"

namespace mailflow {

/// One backend's result: the kernel's rulesets (nftables, iptables-legacy)
/// or a manager's saved configuration (ufw, firewalld).
struct FirewallBackend {
  bool present = false;
  bool enabled = false;
  bool readable = false;
  size_t rules = 0;
  bool evaluated = false;
  std::map<int, firewall::Outcome> verdicts;
};

/// Kept by Collect(), read by Diagnose(). Value type.
struct FirewallFacts {
  std::set<int> ports;  // watched
  /// Ports an enabled master.cf service listens on; when the Postfix
  /// configuration is unreadable, every watched port counts.
  std::set<int> served;
  FirewallBackend nftables, iptables_legacy, ufw, firewalld;
  /// Why a kernel ruleset could not be read or evaluated.
  std::vector<std::string> errors;
};

/// Step kFirewall: per watched port, the kernel's verdict with the rule
/// that decides it and the fix in the tool that owns the ruleset. drop or
/// reject on a served port is FAIL (SMTPPortBlockedByFirewall); conditional
/// is OK with the reason (SMTPPortConditional is info).
void FirewallFindings(const FirewallFacts& facts, std::vector<Finding>* out);

}  // namespace mailflow
