#include "collectors/dns/dns_diagnosis.h"

#include <cstdio>

#include "collectors/common/fix_commands.h"

namespace mailflow {

namespace {

using S = CheckStatus;

std::string Joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : " ") + s;
  return out;
}

std::string Ms(double seconds) {
  char buf[32];
  if (seconds >= 1) {
    std::snprintf(buf, sizeof buf, "%.1f s", seconds);
  } else {
    std::snprintf(buf, sizeof buf, "%.1f ms", seconds * 1000);
  }
  return buf;
}

void Resolvers(const DnsFacts& f, std::vector<Finding>* out) {
  if (!f.host_ok) {
    out->push_back(Finding(Step::kDns, S::kWarn,
                           "cannot read " + f.host_path +
                               ": the resolver falls back to 127.0.0.1")
                       .With(f.host_error, f.host_path)
                       .Fix("restore " + f.host_path));
  }
  const std::string used = f.smtp_chrooted ? f.jail_path : f.host_path;
  Finding x(Step::kDns, S::kOk,
            f.primary.empty() ? "no nameserver configured"
            : f.primary_local
                ? "Postfix's smtp client asks " + f.primary +
                      " first: a cache on this host"
                : "no local DNS cache: Postfix's smtp client asks " +
                      f.primary +
                      " first, across the network, for every lookup");
  x.subject = "resolvers";
  x.evidence.push_back({"nameserver " + Joined(f.host_servers), f.host_path});
  if (f.chrooted) {
    x.evidence.push_back({f.jail_ok ? "nameserver " + Joined(f.jail_servers)
                                    : "missing (libc asks 127.0.0.1)",
                          f.jail_path});
  }
  if (!f.primary_local && !f.primary.empty()) {
    x = std::move(x)
            .Fix(
                "install a local cache (apt install unbound) and put "
                "nameserver 127.0.0.1 first in " +
                used)
            .Runbook("NoLocalDNSCache");
  }
  out->push_back(std::move(x));
  if (f.chrooted && f.differs) {
    out->push_back(
        Finding(Step::kDns, S::kWarn,
                "Postfix runs chrooted and its copy of resolv.conf names "
                "other nameservers than " +
                    f.host_path +
                    ": it resolves through other (maybe dead) servers than "
                    "the host")
            .About("chroot resolv.conf")
            .With("nameserver " + Joined(f.host_servers), f.host_path)
            .With(f.jail_ok ? "nameserver " + Joined(f.jail_servers)
                            : "missing: libc asks 127.0.0.1",
                  f.jail_path)
            .Fix("cp " + f.host_path + " " + f.jail_path,
                 PostfixReload(f.config_directory))
            .Runbook("ChrootResolvConfDiffers"));
  }
}

void Round(const DnsFacts& f, const DnsResolverRound& r,
           std::vector<Finding>* out) {
  const std::string counts = std::to_string(r.lookups) + " lookups, " +
                             std::to_string(r.failures) + " failed (" +
                             std::to_string(r.timeouts) + " timeouts)";
  const Evidence round{counts, "last DNS probe round"};
  if (!r.answering) {
    out->push_back(
        Finding(Step::kDns, S::kWarn,
                r.resolver + " did not answer a single query: lookups through "
                             "it time out and Postfix defers with \"Host or "
                             "domain name not found\"")
            .About("resolver " + r.resolver)
            .With(round)
            .Fix("start or repair the resolver (ss -lunp 'sport = :53' on "
                 "it), or remove it from resolv.conf")
            .Runbook("DNSLookupFailures"));
    out->push_back(Finding::Unchecked(
                       Step::kDns, "MX lookup latency through " + r.resolver +
                                       " could not be measured: it never "
                                       "answered within the query timeout (" +
                                       Ms(f.query_timeout_seconds) + ")")
                       .About("resolver " + r.resolver));
    return;
  }
  const double ratio =
      r.lookups ? static_cast<double>(r.failures) / r.lookups : 0;
  if (ratio > kFailureRatio) {
    out->push_back(Finding(Step::kDns, S::kWarn,
                           std::to_string(r.failures) + " of " +
                               std::to_string(r.lookups) + " lookups through " +
                               r.resolver +
                               " failed (SERVFAIL, REFUSED or timeout)")
                       .About("resolver " + r.resolver)
                       .With(r.failure_example, "last DNS probe round")
                       .With(round)
                       .Fix("dig MX DOMAIN @" + r.resolver +
                            " shows the status; repair its upstream or its ACL")
                       .Runbook("DNSLookupFailures"));
  }
  if (r.mx_median_seconds > kSlowMxSeconds) {
    out->push_back(
        Finding(Step::kDns, S::kWarn,
                "MX lookups through " + r.resolver + " take " +
                    Ms(r.mx_median_seconds) +
                    " (median): every delivery to an uncached domain waits "
                    "that long")
            .About("resolver " + r.resolver)
            .With("median MX lookup " + Ms(r.mx_median_seconds),
                  "last DNS probe round")
            .Fix("use a local caching resolver; drop slow upstreams from "
                 "resolv.conf")
            .Runbook("MXLookupSlow"));
  }
  if (ratio <= kFailureRatio && r.mx_median_seconds <= kSlowMxSeconds) {
    std::string s = r.resolver + " answers";
    if (r.mx_median_seconds >= 0) {
      s += ": MX lookups in " + Ms(r.mx_median_seconds) + " (median)";
    }
    if (r.repeat_median_seconds >= 0) {
      s += ", repeated in " + Ms(r.repeat_median_seconds);
    }
    out->push_back(Finding(Step::kDns, S::kOk, s)
                       .About("resolver " + r.resolver)
                       .With(round));
  }
}

}  // namespace

void DnsFindings(const DnsFacts& f, std::vector<Finding>* out) {
  Resolvers(f, out);
  if (!f.configured) {
    out->push_back(Finding(Step::kDns, S::kSkipped,
                           "MX lookup latency is not measured: no domains "
                           "to probe (collectors.dns.domains)"));
    return;
  }
  if (!f.round_done) {
    out->push_back(Finding::Unchecked(
        Step::kDns,
        "no DNS probe round has finished yet (a round ends "
        "within round_timeout, " +
            Ms(f.round_timeout_seconds) + "; for diagnose, raise --timeout)"));
    return;
  }
  for (const auto& r : f.resolvers) Round(f, r, out);
}

}  // namespace mailflow
