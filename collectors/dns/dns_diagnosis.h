// What the dns collector knows (the resolvers Postfix uses, from
// resolv.conf and the chroot jail's copy, and the last probe round) and the
// findings of step "dns". Pure.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "collectors/finding.h"

namespace mailflow {

/// One resolver in the last probe round.
struct DnsResolverRound {
  std::string resolver;  // label: "127.0.0.1", "127.0.0.1:5353"
  bool answering = false;
  size_t lookups = 0;
  /// SERVFAIL, REFUSED, timeouts, other errors (NXDOMAIN and NODATA are
  /// answers).
  size_t failures = 0;
  size_t timeouts = 0;
  double mx_median_seconds = -1;  // of the MX lookups; -1 when none
  double repeat_median_seconds = -1;
  std::string failure_example;  // "MX example.org: servfail"
};

/// Kept by Collect(), read by Diagnose(). Value type.
struct DnsFacts {
  std::string config_directory;
  std::string host_path;
  bool host_ok = true;
  std::string host_error;
  std::vector<std::string> host_servers;  // effective, labels
  bool smtp_chrooted = false;
  bool chrooted = false;  // smtp or smtpd: the jail's copy is in use
  std::string jail_path;
  bool jail_ok = false;
  std::vector<std::string> jail_servers;
  bool differs = false;
  /// The nameserver the smtp client asks first ("" when none), and whether
  /// it is on this host (a local cache).
  std::string primary;
  bool primary_local = false;

  bool configured = false;  // domains, RBL or reverse lookups to probe
  size_t domains = 0;
  bool round_done = false;
  double round_timestamp = 0;
  double query_timeout_seconds = 0;
  double round_timeout_seconds = 0;
  std::vector<DnsResolverRound> resolvers;
};

/// MXLookupSlow's threshold, seconds.
inline constexpr double kSlowMxSeconds = 1.0;
/// DNSLookupFailures' threshold: the share of failed lookups.
inline constexpr double kFailureRatio = 0.1;

/// Step kDns. Severity follows the alerts: ChrootResolvConfDiffers,
/// MXLookupSlow and DNSLookupFailures are WARN, NoLocalDNSCache is info
/// (OK). A resolver that never answered also gets a "could not be checked"
/// finding for the latency it could not measure.
void DnsFindings(const DnsFacts& facts, std::vector<Finding>* out);

}  // namespace mailflow
