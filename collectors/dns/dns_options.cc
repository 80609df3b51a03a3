// `collectors: dns:` options: ParseDnsOptions and the name checks.
#include "collectors/dns/dns_options.h"

#include <cctype>
#include <set>
#include <string>
#include <vector>

#include "lib/base/ascii_lower.h"
#include "lib/dns/dns_prober.h"

namespace mailflow {
namespace dns_collector {

std::string HostKey(std::string s) {
  s = AsciiLower(s);
  while (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

bool ValidDomainName(const std::string& d) {
  if (d.empty() || d.size() > 253) return false;
  size_t label = 0;
  for (char c : d) {
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
      continue;
    }
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' ||
          c == '_')) {
      return false;
    }
    if (++label > 63) return false;
  }
  return true;
}

}  // namespace dns_collector

namespace {

using dns_collector::HostKey;
using dns_collector::ValidDomainName;

// The option values that are read as text and checked by ParseNames.
struct RawDnsOptions {
  std::vector<std::string> resolvers, domains;
  int64_t max_domains, from_queue, mx_hosts, attempts, in_flight, max_rbl,
      max_rev;
};

// Reads every key of `m` (types and ranges only).
bool ReadValues(ConfigMap& m, DnsOptions* o, RawDnsOptions* raw,
                std::string* err) {
  raw->max_domains = static_cast<int64_t>(o->max_domains);
  raw->from_queue = static_cast<int64_t>(o->domains_from_queue);
  raw->mx_hosts = static_cast<int64_t>(o->mx_hosts_per_domain);
  raw->attempts = o->attempts;
  raw->in_flight = static_cast<int64_t>(o->max_in_flight);
  raw->max_rbl = static_cast<int64_t>(o->max_rbl_zones);
  raw->max_rev = static_cast<int64_t>(o->max_reverse_dns_addresses);
  return m.GetString("resolv_conf", &o->resolv_conf, err) &&
         m.GetString("chroot_resolv_conf", &o->chroot_resolv_conf, err) &&
         m.GetString("chroot", &o->chroot, err) &&
         m.GetBool("probe_resolv_conf", &o->probe_resolv_conf, err) &&
         m.GetStringList("resolvers", &raw->resolvers, err) &&
         m.GetStringList("domains", &raw->domains, err) &&
         m.GetInt("max_domains", 1, 1000, &raw->max_domains, err) &&
         m.GetInt("domains_from_queue", 0, 100, &raw->from_queue, err) &&
         m.GetInt("mx_hosts_per_domain", 0, 10, &raw->mx_hosts, err) &&
         m.GetBool("lookup_aaaa", &o->lookup_aaaa, err) &&
         m.GetBool("cache_check", &o->cache_check, err) &&
         m.GetDuration("interval", std::chrono::seconds(1),
                       std::chrono::hours(24), &o->interval, err) &&
         m.GetDuration("round_timeout", &o->round_timeout, err) &&
         m.GetDuration("query_timeout", &o->query_timeout, err) &&
         m.GetInt("query_attempts", 1, 5, &raw->attempts, err) &&
         m.GetInt("max_in_flight", 1, 10000, &raw->in_flight, err) &&
         m.GetBool("rbl_checks", &o->rbl_checks, err) &&
         m.GetStringList("rbl_zones", &o->rbl_zones, err) &&
         m.GetInt("max_rbl_zones", 0, 100, &raw->max_rbl, err) &&
         m.GetStringList("reverse_dns_addresses", &o->reverse_dns_addresses,
                         err) &&
         m.GetInt("max_reverse_dns_addresses", 1, 64, &raw->max_rev, err) &&
         m.GetString("myhostname", &o->myhostname, err);
}

// The names and addresses: resolvers, domains (normalized, deduplicated),
// RBL zones, reverse DNS addresses ("auto" or numeric).
bool ParseNames(const ConfigMap& m, const RawDnsOptions& raw, DnsOptions* o,
                std::string* err) {
  for (const auto& r : raw.resolvers) {
    NameServer ns;
    if (!ParseNameServer(r, &ns)) {
      *err = m.Where("resolvers") + ": invalid resolver \"" + r +
             "\" (want ADDRESS, ADDRESS:PORT or [IPV6]:PORT)";
      return false;
    }
    o->extra_resolvers.push_back(ns);
  }
  std::set<std::string> seen;
  for (auto d : raw.domains) {
    d = HostKey(d);
    if (!ValidDomainName(d)) {
      *err = m.Where("domains") + ": invalid domain \"" + d + "\"";
      return false;
    }
    if (seen.insert(d).second) o->domains.push_back(d);
  }
  for (const auto& z : o->rbl_zones) {
    std::string zone = HostKey(z.rfind("rhsbl:", 0) == 0 ? z.substr(6) : z);
    if (!ValidDomainName(zone)) {
      *err = m.Where("rbl_zones") + ": invalid zone \"" + z + "\"";
      return false;
    }
  }
  if (o->reverse_dns_addresses.size() == 1 &&
      o->reverse_dns_addresses[0] == "auto") {
    o->reverse_dns_auto = true;
    o->reverse_dns_addresses.clear();
  }
  for (const auto& a : o->reverse_dns_addresses) {
    if (ReverseName(a).empty()) {
      *err = m.Where("reverse_dns_addresses") + ": invalid address \"" + a +
             "\" (want numeric addresses, or the single word auto)";
      return false;
    }
  }
  return true;
}

// round_timeout within [100ms, interval], query_timeout within [10ms,
// round_timeout].
bool CheckTimeouts(const ConfigMap& m, const DnsOptions& o, std::string* err) {
  if (o.round_timeout > o.interval ||
      o.round_timeout < std::chrono::milliseconds(100)) {
    *err = m.Where("round_timeout") +
           ": round_timeout must be between 100ms and the interval";
    return false;
  }
  if (o.query_timeout < std::chrono::milliseconds(10) ||
      o.query_timeout > o.round_timeout) {
    *err = m.Where("query_timeout") +
           ": query_timeout must be between 10ms and the round_timeout";
    return false;
  }
  return true;
}

}  // namespace

bool ParseDnsOptions(const Config& config, ConfigMap m, DnsOptions* out,
                     std::string* err) {
  DnsOptions parsed;
  DnsOptions* o = &parsed;
  o->postfix_config_directory = config.paths.postfix_config_directory;
  o->resolv_conf = config.paths.etc + "/resolv.conf";
  RawDnsOptions raw;
  if (!ReadValues(m, o, &raw, err)) return false;
  if (o->chroot != "auto" && o->chroot != "yes" && o->chroot != "no") {
    *err = m.Where("chroot") + ": chroot must be auto, yes or no";
    return false;
  }
  if (!ParseNames(m, raw, o, err)) return false;
  o->max_domains = static_cast<size_t>(raw.max_domains);
  o->domains_from_queue = static_cast<size_t>(raw.from_queue);
  o->mx_hosts_per_domain = static_cast<size_t>(raw.mx_hosts);
  o->attempts = static_cast<int>(raw.attempts);
  o->max_in_flight = static_cast<size_t>(raw.in_flight);
  o->max_rbl_zones = static_cast<size_t>(raw.max_rbl);
  o->max_reverse_dns_addresses = static_cast<size_t>(raw.max_rev);
  if (o->reverse_dns_addresses.size() > o->max_reverse_dns_addresses) {
    o->reverse_dns_addresses.resize(o->max_reverse_dns_addresses);
  }
  if (!CheckTimeouts(m, *o, err) || !m.Finish(err)) return false;
  *out = std::move(parsed);
  return true;
}

}  // namespace mailflow
