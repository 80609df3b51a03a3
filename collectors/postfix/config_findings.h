// Findings about policy services in the smtpd restriction lists. Pure.
#pragma once

#include <string>
#include <vector>

namespace mailflow {

struct PolicyServices {
  int count = 0;             // check_policy_service entries
  bool greylisting = false;  // one looks like a greylisting daemon
};

/// Scans expanded restriction lists for check_policy_service. A policy
/// service counts as greylisting when its target names postgrey, sqlgrey or
/// "grey"/"gray", or uses the postgrey (10023) or sqlgrey (2501) port.
PolicyServices FindPolicyServices(const std::vector<std::string>& lists);

}  // namespace mailflow
