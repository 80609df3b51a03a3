// The `dns` collector: resolvers Postfix uses, MX/A/AAAA latency and result
// classes, RBL test entries, reverse DNS of the host's public addresses.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "collectors/registry.h"
#include "lib/dns/resolv_conf.h"

namespace mailflow {

/// The options of `collectors: dns:` (see docs/design/dns.md).
struct DnsOptions {
  std::string resolv_conf = "/etc/resolv.conf";
  /// "" -> $queue_directory/etc/resolv.conf from main.cf.
  std::string chroot_resolv_conf;
  /// "auto" (master.cf's chroot column of the smtp service), "yes", "no".
  std::string chroot = "auto";
  std::string postfix_config_directory = "/etc/postfix";
  /// Probe the nameservers of resolv.conf (and of the chroot copy).
  bool probe_resolv_conf = true;
  std::vector<NameServer> extra_resolvers;
  std::vector<std::string> domains;
  size_t max_domains = 20;
  /// Also look up the MX of this many of the deferred queue's top
  /// destination domains (published by the queue collector); 0: off.
  size_t domains_from_queue = 0;
  size_t mx_hosts_per_domain = 2;
  bool lookup_aaaa = true;
  bool cache_check = true;
  std::chrono::milliseconds interval{60000};
  std::chrono::milliseconds round_timeout{20000};
  std::chrono::milliseconds query_timeout{5000};
  int attempts = 1;
  size_t max_in_flight = 100;
  bool rbl_checks = false;
  std::vector<std::string> rbl_zones;  // in addition to main.cf's
  size_t max_rbl_zones = 20;
  /// Numeric addresses, or the single word "auto" (interface discovery).
  std::vector<std::string> reverse_dns_addresses;
  bool reverse_dns_auto = false;
  size_t max_reverse_dns_addresses = 8;
  std::string myhostname;  // "" -> main.cf's myhostname
};

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
std::unique_ptr<Collector> NewDnsCollector(DnsOptions options,
                                           const CollectorContext& context);
/// Parses `collectors: dns:` options; false with *err on bad options.
bool ParseDnsOptions(ConfigMap options, DnsOptions* out, std::string* err);

/// Registers "dns" (enabled by default; probes nothing unless the config
/// names domains, RBL checks or reverse DNS addresses).
void RegisterDnsCollector(CollectorRegistry* registry);

}  // namespace mailflow
