// The dns collector's probe round: which names a round looks up, and the
// round itself (MX, A/AAAA of the MX hosts, RBL test entries, PTR and
// forward confirmation), merged into the DnsState the scrapes read.
#pragma once

#include <atomic>
#include <string>
#include <vector>

#include "collectors/common/destination_domains.h"
#include "collectors/dns/dns_options.h"
#include "collectors/dns/dns_state.h"
#include "collectors/dns/local_facts.h"
#include "lib/base/status.h"
#include "lib/postfix/rbl_zones.h"

namespace mailflow::dns_collector {

// One MX name of a round and its `domain` label: configured domains beyond
// max_domains share "other"; queue domains are labelled by name.
struct ProbeDomain {
  std::string name;
  std::string label;
  bool from_queue = false;
};

// The MX names of the next round: the configured domains, then up to
// domains_from_queue of the published queue domains that are valid names
// and not configured (dns_round.cc).
std::vector<ProbeDomain> ProbeDomainsFor(const DnsOptions& o,
                                         const DestinationDomains& queue);

// The RBL zones of a round: main.cf's, then the config's (dns_round.cc).
std::vector<RblZone> RblZonesFor(const DnsOptions& o, const LocalFacts& f);

/// Runs one round over `facts`' resolvers: looks up `domains`, the MX
/// hosts, `rbl_zones`' test entries and the PTR and forward records of
/// `reverse_addresses`, then merges the results into `*state` (taking its
/// mutex) and notifies round_done. Ends early when `*stop` is set (`wake_fd`,
/// an eventfd, wakes the wait; -1: none). Blocks for at most the round
/// timeout.
Status RunRound(const DnsOptions& options, const LocalFacts& facts,
                std::vector<ProbeDomain> domains,
                const std::vector<std::string>& reverse_addresses,
                std::vector<RblZone> rbl_zones, const std::atomic<bool>* stop,
                int wake_fd, DnsState* state);

}  // namespace mailflow::dns_collector
