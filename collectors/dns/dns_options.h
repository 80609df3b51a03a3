// DnsOptions: `collectors: dns:` of the config file, and the name checks
// the collector applies to configured and queue domains.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "config/config.h"
#include "config/config_map.h"
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

/// Fills `*out` from `config` (the Postfix configuration directory, /etc)
/// and `options` (the `collectors: dns:` mapping). False with `*err`
/// naming file:line:column on a bad or unknown option (`*out` unchanged).
/// Pure (reads no files).
bool ParseDnsOptions(const Config& config, ConfigMap options, DnsOptions* out,
                     std::string* err);

namespace dns_collector {

/// Lower case, without the trailing dots: the key a host name is compared
/// and deduplicated by.
std::string HostKey(std::string s);
/// A host name c-ares can query: dot-separated labels of letters, digits,
/// '-' and '_', at most 63 bytes each and 253 in all.
bool ValidDomainName(const std::string& d);

}  // namespace dns_collector
}  // namespace mailflow
