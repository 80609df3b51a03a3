// The `firewall` collector: the verdict the host firewall gives a new
// inbound TCP connection to each watched SMTP port, from the ruleset the
// kernel runs (nftables JSON via `nft -j list ruleset`; iptables-legacy via
// iptables-legacy-save), plus what ufw's and firewalld's configurations say.
#pragma once

#include "collectors/registry.h"

namespace mailflow {

/// Registers "firewall" (enabled by default; needs CAP_NET_ADMIN).
void RegisterFirewallCollector(CollectorRegistry* registry);

}  // namespace mailflow
