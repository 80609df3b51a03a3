// The metric families of the dns collector: the local facts (read at
// scrape time) and the accumulated results of the probe rounds.
#pragma once

#include <prometheus/metric_family.h>

#include <vector>

#include "collectors/common/destination_domains.h"
#include "collectors/dns/dns_options.h"
#include "collectors/dns/dns_state.h"
#include "collectors/dns/local_facts.h"

namespace mailflow::dns_collector {

/// The resolvers, their sources, the chroot's copy and the configured
/// targets (`queue`: the published queue domains). Thread-safe.
void AppendLocalFamilies(const DnsOptions& options, const LocalFacts& f,
                         const DestinationDomains& queue,
                         std::vector<prometheus::MetricFamily>* out);

/// The probe rounds' histograms, counters and last round. Takes
/// state->mu.
void AppendProbeFamilies(DnsState* state,
                         std::vector<prometheus::MetricFamily>* out);

}  // namespace mailflow::dns_collector
