// `collectors: dns:` options: ParseDnsOptions and the name checks.
#include <cctype>
#include <set>
#include <string>
#include <vector>

#include "collectors/dns/dns_collector.h"
#include "collectors/dns/dns_collector_internal.h"

namespace mailflow {
namespace dns_collector_internal {

namespace {

std::string Lower(std::string s) {
  for (char& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

std::string HostKey(std::string s) {
  s = Lower(std::move(s));
  while (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

}  // namespace dns_collector_internal

namespace dns_collector_internal {

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

}  // namespace dns_collector_internal

using dns_collector_internal::HostKey;
using dns_collector_internal::ValidDomainName;

bool ParseDnsOptions(ConfigMap m, DnsOptions* o, std::string* err) {
  std::vector<std::string> resolvers, domains;
  int64_t max_domains = static_cast<int64_t>(o->max_domains);
  int64_t from_queue = static_cast<int64_t>(o->domains_from_queue);
  int64_t mx_hosts = static_cast<int64_t>(o->mx_hosts_per_domain);
  int64_t attempts = o->attempts;
  int64_t in_flight = static_cast<int64_t>(o->max_in_flight);
  int64_t max_rbl = static_cast<int64_t>(o->max_rbl_zones);
  int64_t max_rev = static_cast<int64_t>(o->max_reverse_dns_addresses);
  if (!m.GetString("resolv_conf", &o->resolv_conf, err) ||
      !m.GetString("chroot_resolv_conf", &o->chroot_resolv_conf, err) ||
      !m.GetString("chroot", &o->chroot, err) ||
      !m.GetBool("probe_resolv_conf", &o->probe_resolv_conf, err) ||
      !m.GetStringList("resolvers", &resolvers, err) ||
      !m.GetStringList("domains", &domains, err) ||
      !m.GetInt("max_domains", 1, 1000, &max_domains, err) ||
      !m.GetInt("domains_from_queue", 0, 100, &from_queue, err) ||
      !m.GetInt("mx_hosts_per_domain", 0, 10, &mx_hosts, err) ||
      !m.GetBool("lookup_aaaa", &o->lookup_aaaa, err) ||
      !m.GetBool("cache_check", &o->cache_check, err) ||
      !m.GetDuration("interval", std::chrono::seconds(1),
                     std::chrono::hours(24), &o->interval, err) ||
      !m.GetDuration("round_timeout", &o->round_timeout, err) ||
      !m.GetDuration("query_timeout", &o->query_timeout, err) ||
      !m.GetInt("query_attempts", 1, 5, &attempts, err) ||
      !m.GetInt("max_in_flight", 1, 10000, &in_flight, err) ||
      !m.GetBool("rbl_checks", &o->rbl_checks, err) ||
      !m.GetStringList("rbl_zones", &o->rbl_zones, err) ||
      !m.GetInt("max_rbl_zones", 0, 100, &max_rbl, err) ||
      !m.GetStringList("reverse_dns_addresses", &o->reverse_dns_addresses,
                       err) ||
      !m.GetInt("max_reverse_dns_addresses", 1, 64, &max_rev, err) ||
      !m.GetString("myhostname", &o->myhostname, err)) {
    return false;
  }
  if (o->chroot != "auto" && o->chroot != "yes" && o->chroot != "no") {
    *err = m.Where("chroot") + ": chroot must be auto, yes or no";
    return false;
  }
  for (const auto& r : resolvers) {
    NameServer ns;
    if (!ParseNameServer(r, &ns)) {
      *err = m.Where("resolvers") + ": invalid resolver \"" + r +
             "\" (want ADDRESS, ADDRESS:PORT or [IPV6]:PORT)";
      return false;
    }
    o->extra_resolvers.push_back(ns);
  }
  std::set<std::string> seen;
  for (auto d : domains) {
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
  o->max_domains = static_cast<size_t>(max_domains);
  o->domains_from_queue = static_cast<size_t>(from_queue);
  o->mx_hosts_per_domain = static_cast<size_t>(mx_hosts);
  o->attempts = static_cast<int>(attempts);
  o->max_in_flight = static_cast<size_t>(in_flight);
  o->max_rbl_zones = static_cast<size_t>(max_rbl);
  o->max_reverse_dns_addresses = static_cast<size_t>(max_rev);
  if (o->reverse_dns_addresses.size() > o->max_reverse_dns_addresses) {
    o->reverse_dns_addresses.resize(o->max_reverse_dns_addresses);
  }
  if (o->round_timeout > o->interval ||
      o->round_timeout < std::chrono::milliseconds(100)) {
    *err = m.Where("round_timeout") +
           ": round_timeout must be between 100ms and the interval";
    return false;
  }
  if (o->query_timeout < std::chrono::milliseconds(10) ||
      o->query_timeout > o->round_timeout) {
    *err = m.Where("query_timeout") +
           ": query_timeout must be between 10ms and the round_timeout";
    return false;
  }
  return m.Finish(err);
}

}  // namespace mailflow
