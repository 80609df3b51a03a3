// The `dns` collector: resolvers Postfix uses, MX/A/AAAA latency and result
// classes, RBL test entries, reverse DNS of the host's public addresses.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "collectors/dns/dns_options.h"
#include "collectors/registry.h"

namespace mailflow {

/// Lookup duration buckets, 1 ms .. 10 s.
const std::vector<double>& DnsDurationBuckets();

/// Public (non-loopback, non-private, non-link-local) addresses of this
/// host's interfaces, at most `cap`.
std::vector<std::string> DiscoverPublicAddresses(size_t cap);
/// True for addresses that are not loopback, RFC 1918, CGNAT, link-local,
/// ULA, documentation or unspecified.
bool IsPublicAddress(const std::string& address);

/// Keeps the context's queue destinations board (where the queue collector
/// publishes the deferred mail's top domains) and Postfix snapshot cache.
/// With `carry_key`, the results, counters and probe schedule are the
/// context's CarryOver entry of that key (shared with the collector of the
/// previous configuration if it had the same key); without, they start
/// empty.
std::unique_ptr<Collector> NewDnsCollector(DnsOptions options,
                                           const CollectorContext& context,
                                           const std::string& carry_key = "");

/// Registers "dns" (enabled by default; probes nothing unless the config
/// names domains, RBL checks or reverse DNS addresses).
void RegisterDnsCollector(CollectorRegistry* registry);

}  // namespace mailflow
