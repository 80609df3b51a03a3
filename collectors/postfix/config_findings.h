// Findings about risky or notable main.cf settings. Pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mailflow {

/// True when one of the two restriction lists (smtpd_relay_restrictions,
/// smtpd_recipient_restrictions; expanded values) contains
/// reject_unauth_destination or defer_unauth_destination before any bare
/// `permit`: mail to foreign domains is refused unless a permit_* rule for
/// the client (mynetworks, SASL) matched first.
bool RelayRestrictionsSafe(std::string_view relay_restrictions,
                           std::string_view recipient_restrictions);

/// Classifies one mynetworks entry ("10.0.0.0/8", "[2001:db8::]/32",
/// "192.0.2.1"). Returns false when it is not an address (a /file or
/// type:table lookup), else sets *is_public: the network reaches beyond
/// loopback, RFC 1918, CGNAT 100.64/10, link-local and IPv6 ULA space.
bool ClassifyNetwork(std::string_view entry, bool* is_public);

/// Number of entries of `entries` that ClassifyNetwork calls public.
int CountPublicNetworks(const std::vector<std::string>& entries);

struct PolicyServices {
  int count = 0;            // check_policy_service entries
  bool greylisting = false;  // one looks like a greylisting daemon
};

/// Scans expanded restriction lists for check_policy_service. A policy
/// service counts as greylisting when its target names postgrey, sqlgrey or
/// "grey"/"gray", or uses the postgrey (10023) or sqlgrey (2501) port.
PolicyServices FindPolicyServices(const std::vector<std::string>& lists);

}  // namespace mailflow
