// The metric families of the `dns` collector: local facts (read at scrape
// time) and the accumulated results of the background prober.
#include "collectors/dns/dns_families.h"

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "collectors/common/metrics.h"
#include "collectors/dns/dns_collector.h"
#include "collectors/dns/dns_round.h"
#include "lib/base/log.h"

namespace mailflow::dns_collector {

namespace {

// The resolvers by source, and whether each is local.
void ResolverFamilies(const DnsOptions& options, const LocalFacts& f,
                      std::vector<prometheus::MetricFamily>* out) {
  FamilyBuilder b(out, "mailflow_dns_resolver_configured",
                  "DNS servers the exporter knows, by where they come "
                  "from: resolv_conf (the first three nameservers libc "
                  "uses), chroot_resolv_conf (Postfix's jail copy, when "
                  "smtp or smtpd runs chrooted) or config (extra "
                  "resolvers).",
                  prometheus::MetricType::Gauge);
  FamilyBuilder local(out, "mailflow_dns_resolver_local",
                      "Whether the DNS server is on this host "
                      "(loopback address): a local cache.",
                      prometheus::MetricType::Gauge);
  std::set<std::pair<std::string, std::string>> seen;
  auto configured = [&](const std::vector<NameServer>& list,
                        const std::string& source) {
    for (const auto& ns : list) {
      if (seen.insert({ns.Label(), source}).second) {
        b.Add({{"resolver", ns.Label()}, {"source", source}}, 1);
      }
    }
  };
  configured(f.host.Effective(), "resolv_conf");
  if (f.chrooted) configured(f.jail.Effective(), "chroot_resolv_conf");
  configured(options.extra_resolvers, "config");
  std::set<std::string> done;
  auto add_local = [&](const NameServer& ns) {
    if (done.insert(ns.Label()).second) {
      local.Add({{"resolver", ns.Label()}}, ns.IsLoopback() ? 1 : 0);
    }
  };
  for (const auto& ns : f.host.Effective()) add_local(ns);
  if (f.chrooted)
    for (const auto& ns : f.jail.Effective()) add_local(ns);
  for (const auto& ns : options.extra_resolvers) add_local(ns);
}

// What resolv.conf and its chroot copy make Postfix use, and their
// problems (also logged).
void ResolvConfFamilies(const LocalFacts& f,
                        std::vector<prometheus::MetricFamily>* out) {
  const ResolvConf& used = f.smtp_chrooted ? f.jail : f.host;
  AddGauge(
      out, "mailflow_dns_local_cache_configured",
      "Whether the first nameserver Postfix's resolver asks (the "
      "chroot copy's when smtp runs chrooted) is on this host.",
      !used.nameservers.empty() && used.nameservers[0].IsLoopback() ? 1 : 0);
  AddGauge(out, "mailflow_dns_smtp_chrooted",
           "Whether Postfix's smtp client runs chrooted (master.cf, or the "
           "`chroot` option), so it reads $queue_directory/etc/resolv.conf.",
           f.smtp_chrooted ? 1 : 0);
  AddGauge(out, "mailflow_dns_chroot_resolv_conf_differs",
           "Whether the chroot jail's resolv.conf makes Postfix use other "
           "nameservers than /etc/resolv.conf (a missing copy counts as "
           "the libc default 127.0.0.1); 0 when neither smtp nor smtpd is "
           "chrooted.",
           f.differs ? 1 : 0);
  {
    FamilyBuilder p(out, "mailflow_dns_resolv_conf_problems",
                    "Lines of the resolv.conf file the libc resolver "
                    "ignores or misreads (bad addresses, unknown options, "
                    "more than three nameservers), by file (host, chroot).",
                    prometheus::MetricType::Gauge);
    p.Add({{"file", "host"}}, static_cast<double>(f.host.problems.size()));
    if (f.chrooted) {
      p.Add({{"file", "chroot"}}, static_cast<double>(f.jail.problems.size()));
    }
  }
  auto log_problems = [](const std::string& key, const std::string& path,
                         const ResolvConf& rc) {
    std::string problems;
    for (const auto& p : rc.problems) problems += " " + p + ";";
    LogOnChange(LogLevel::kInfo, "dns", key,
                problems.empty() ? "" : path + ":" + problems);
  };
  log_problems("dns/resolv_conf", f.host_path, f.host);
  log_problems("dns/chroot_resolv_conf", f.jail_path,
               f.chrooted ? f.jail : ResolvConf());
}

// What a round looks up.
void TargetFamilies(const DnsOptions& options, const LocalFacts& f,
                    const DestinationDomains& queue,
                    std::vector<prometheus::MetricFamily>* out) {
  FamilyBuilder t(out, "mailflow_dns_probe_targets",
                  "What the DNS prober looks up per round and resolver: "
                  "configured domains, queue_domain (the deferred queue's "
                  "top domains, domains_from_queue), RBL zones, reverse "
                  "addresses (0 everywhere: the prober is idle).",
                  prometheus::MetricType::Gauge);
  t.Add({{"kind", "domain"}}, static_cast<double>(options.domains.size()));
  size_t from_queue = 0;
  for (const auto& d : ProbeDomainsFor(options, queue)) {
    from_queue += d.from_queue ? 1 : 0;
  }
  t.Add({{"kind", "queue_domain"}}, static_cast<double>(from_queue));
  t.Add({{"kind", "rbl"}}, static_cast<double>(RblZonesFor(options, f).size()));
  t.Add({{"kind", "reverse"}},
        static_cast<double>(
            options.reverse_dns_auto
                ? DiscoverPublicAddresses(options.max_reverse_dns_addresses)
                      .size()
                : options.reverse_dns_addresses.size()));
}

// Adds one sample per result class of `counts`, labelled `labels` and
// result.
void AddResultCounts(FamilyBuilder* f, Labels labels, const Counters& counts) {
  labels.emplace_back("result", "");
  for (size_t i = 0; i < std::size(kAllDnsResults); ++i) {
    labels.back().second = DnsResultName(kAllDnsResults[i]);
    f->Add(labels, static_cast<double>(counts.by_result[i]));
  }
}

// The lookup histograms and counters, overall and per MX domain.
// REQUIRES: state.mu held.
void LookupFamilies(const DnsState& state,
                    std::vector<prometheus::MetricFamily>* out) {
  std::vector<HistogramSeries> lookups;
  for (const auto& [k, hist] : state.hist) {
    lookups.push_back({{{"type", k.first}, {"resolver", k.second}}, &hist});
  }
  AddHistogramFamily(out, "mailflow_dns_lookup_duration_seconds",
                     "DNS lookup latency by query type and resolver, from "
                     "the background prober (timeouts count at their "
                     "timeout).",
                     lookups);

  FamilyBuilder c(out, "mailflow_dns_lookups_total",
                  "DNS lookups of the background prober by type, "
                  "resolver and result class.",
                  prometheus::MetricType::Counter);
  for (const auto& [k, cnt] : state.counters) {
    AddResultCounts(&c, {{"type", k.first}, {"resolver", k.second}}, cnt);
  }

  std::vector<HistogramSeries> mx_lookups;
  for (const auto& [d, hist] : state.mx_hist) {
    mx_lookups.push_back({{{"domain", d}}, &hist});
  }
  AddHistogramFamily(out, "mailflow_dns_mx_lookup_duration_seconds",
                     "MX lookup latency by domain over all probed resolvers "
                     "(configured domains beyond the cap fold into "
                     "domain=\"other\").",
                     mx_lookups);
  FamilyBuilder mx_c(out, "mailflow_dns_mx_lookups_total",
                     "MX lookups by domain and result class.",
                     prometheus::MetricType::Counter);
  for (const auto& [d, cnt] : state.mx_counters) {
    AddResultCounts(&mx_c, {{"domain", d}}, cnt);
  }
}

// The MX records and null MX of the last round.
void MxFamilies(const RoundSummary& s,
                std::vector<prometheus::MetricFamily>* out) {
  FamilyBuilder n(out, "mailflow_dns_mx_records",
                  "MX records of the domain in the last probe round "
                  "(0 for NXDOMAIN/NODATA: mail goes to the A record).",
                  prometheus::MetricType::Gauge);
  FamilyBuilder z(out, "mailflow_dns_mx_null",
                  "Whether the domain publishes a null MX (RFC 7505: "
                  "accepts no mail), last probe round.",
                  prometheus::MetricType::Gauge);
  for (const auto& [d, v] : s.mx) {
    n.Add({{"domain", d}}, v.first);
    z.Add({{"domain", d}}, v.second ? 1 : 0);
  }
}

// Per resolver in the last round: answering, cache medians, caching.
// REQUIRES: state->mu held.
void ResolverRoundFamilies(DnsState* state,
                           std::vector<prometheus::MetricFamily>* out) {
  const RoundSummary& s = state->last;
  FamilyBuilder a(out, "mailflow_dns_resolver_answering",
                  "Whether the resolver sent any DNS response (any rcode) "
                  "in the last probe round.",
                  prometheus::MetricType::Gauge);
  std::map<std::string, bool> folded;  // several may fold into "other"
  for (const auto& [r, v] : s.answering) {
    folded[state->ResolverLabel(r)] |= v;
  }
  for (const auto& [r, v] : folded) a.Add({{"resolver", r}}, v ? 1 : 0);

  if (s.first_median.empty()) return;
  FamilyBuilder m(out, "mailflow_dns_cache_lookup_duration_seconds",
                  "Median MX lookup time of the last round per resolver: "
                  "attempt=first, and attempt=repeat for the same name "
                  "asked again at once (a cache answers the repeat "
                  "fast).",
                  prometheus::MetricType::Gauge);
  FamilyBuilder e(out, "mailflow_dns_resolver_caching",
                  "Whether repeated lookups come back from a cache: the "
                  "repeat median is under 2 ms or under half the first "
                  "(last probe round).",
                  prometheus::MetricType::Gauge);
  for (const auto& [r, first] : s.first_median) {
    auto it = s.repeat_median.find(r);
    const double rep = it == s.repeat_median.end() ? 0 : it->second;
    const std::string label = state->ResolverLabel(r);
    if (label == "other") continue;  // medians do not fold
    m.Add({{"resolver", label}, {"attempt", "first"}}, first);
    m.Add({{"resolver", label}, {"attempt", "repeat"}}, rep);
    e.Add({{"resolver", label}},
          rep > 0 && (rep < 0.002 || rep < first / 2) ? 1 : 0);
  }
}

// The RBL test entries. REQUIRES: state.mu held.
void RblFamilies(const DnsState& state,
                 std::vector<prometheus::MetricFamily>* out) {
  if (state.rbl.empty()) return;
  std::vector<HistogramSeries> lookups;
  for (const auto& [zone, z] : state.rbl) {
    lookups.push_back({{{"zone", zone}}, &z.hist});
  }
  AddHistogramFamily(out, "mailflow_dns_rbl_lookup_duration_seconds",
                     "Latency of the RBL's standard test entry "
                     "(2.0.0.127.ZONE, or test.ZONE for RHSBLs) on the "
                     "resolver smtpd asks first.",
                     lookups);
  FamilyBuilder c(out, "mailflow_dns_rbl_lookups_total",
                  "RBL test entry lookups by zone and result class.",
                  prometheus::MetricType::Counter);
  FamilyBuilder l(out, "mailflow_dns_rbl_test_entry_listed",
                  "Whether the RBL answered its test entry with a "
                  "127.0.0.x listing as it must (0: the list is dead, "
                  "refuses this resolver with 127.255.255.x, or times "
                  "out), last probe round.",
                  prometheus::MetricType::Gauge);
  for (const auto& [zone, z] : state.rbl) {
    AddResultCounts(&c, {{"zone", zone}}, z.counters);
    if (z.have_result) l.Add({{"zone", zone}}, z.listed ? 1 : 0);
  }
}

// PTR, FCrDNS and myhostname of the reverse DNS addresses.
void ReverseFamilies(const RoundSummary& s,
                     std::vector<prometheus::MetricFamily>* out) {
  if (s.reverse.empty()) return;
  FamilyBuilder p(out, "mailflow_dns_reverse_ptr_present",
                  "Whether the address has a PTR record (last probe "
                  "round).",
                  prometheus::MetricType::Gauge);
  FamilyBuilder fc(out, "mailflow_dns_reverse_forward_confirmed",
                   "Whether a PTR name of the address resolves back to "
                   "it (FCrDNS), last probe round.",
                   prometheus::MetricType::Gauge);
  FamilyBuilder m(out, "mailflow_dns_reverse_matches_myhostname",
                  "Whether a PTR name of the address equals Postfix's "
                  "myhostname (last probe round).",
                  prometheus::MetricType::Gauge);
  for (const auto& [addr, r] : s.reverse) {
    p.Add({{"address", addr}}, r.ptr_present ? 1 : 0);
    fc.Add({{"address", addr}}, r.forward_confirmed ? 1 : 0);
    m.Add({{"address", addr}}, r.matches_myhostname ? 1 : 0);
  }
}

}  // namespace

void AppendLocalFamilies(const DnsOptions& options, const LocalFacts& f,
                         const DestinationDomains& queue,
                         std::vector<prometheus::MetricFamily>* out) {
  ResolverFamilies(options, f, out);
  ResolvConfFamilies(f, out);
  TargetFamilies(options, f, queue, out);
}

void AppendProbeFamilies(DnsState* state,
                         std::vector<prometheus::MetricFamily>* out) {
  std::lock_guard<std::mutex> lock(state->mu);
  const RoundSummary& s = state->last;
  if (!s.done) return;
  AddGauge(out, "mailflow_dns_last_run_timestamp_seconds",
           "When the last DNS probe round started (Unix time).", s.timestamp);
  AddGauge(out, "mailflow_dns_last_run_duration_seconds",
           "How long the last DNS probe round took: bounded by the slowest "
           "answer (or the round timeout), not by the number of names.",
           s.duration);
  {
    FamilyBuilder q(out, "mailflow_dns_last_run_queries",
                    "Queries of the last DNS probe round: sent, or skipped "
                    "because the round timeout came first.",
                    prometheus::MetricType::Gauge);
    q.Add({{"state", "sent"}}, static_cast<double>(s.sent));
    q.Add({{"state", "skipped"}}, static_cast<double>(s.skipped));
  }
  LookupFamilies(*state, out);
  MxFamilies(s, out);
  ResolverRoundFamilies(state, out);
  RblFamilies(*state, out);
  ReverseFamilies(s, out);
}

}  // namespace mailflow::dns_collector
