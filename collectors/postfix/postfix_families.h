// The postfix collector's families about what the configuration means for
// mail flow (internal to collectors/postfix): relay verdicts per smtpd
// service, whom mynetworks trusts, the host's role, where outbound mail
// goes, whether the master runs. Each logs what it concludes when that
// changes.
#pragma once

#include <prometheus/metric_family.h>

#include <optional>
#include <vector>

#include "lib/base/ip_network.h"
#include "lib/postfix/host_role.h"
#include "lib/postfix/master_status.h"
#include "lib/postfix/postfix_snapshot.h"
#include "lib/postfix/relay_restrictions.h"

namespace mailflow::postfix_collector {

using Families = std::vector<prometheus::MetricFamily>;

/// mailflow_postfix_relay_verdict / _relay_reason, per enabled smtpd inet
/// service (postscreen: the smtpd pass service it hands clients to). The
/// verdicts also go to `decided` (service, decision) unless it is null.
void AddRelayFamilies(
    const PostfixSnapshot& snapshot, Families* out,
    std::vector<std::pair<std::string, postfix::RelayDecision>>* decided);

/// mailflow_postfix_mynetworks_public_entries / _public_addresses.
/// `interfaces`: this host's addresses with their prefix lengths.
void AddMynetworksFamilies(const postfix::MainCf& main,
                           const std::vector<IpNetwork>& interfaces,
                           Families* out);

/// mailflow_postfix_role: `declared` when the configuration sets it, else
/// GuessHostRole().
void AddRoleFamily(const PostfixSnapshot& snapshot,
                   std::optional<postfix::HostRole> declared, Families* out);

/// mailflow_postfix_outbound_route_info.
void AddOutboundRouteFamily(const postfix::MainCf& main, Families* out);

/// mailflow_postfix_up (absent while unknown) and mailflow_postfix_liveness;
/// logs a change of liveness under `key` (one per instance), prefixed by
/// `who` (the instance's name when there are several).
void AddLivenessFamilies(const MasterStatus& master, const std::string& who,
                         const std::string& key, Families* out);

}  // namespace mailflow::postfix_collector
