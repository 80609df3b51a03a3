// The background prober of the `dns` collector: one Round per interval
// (MX, A/AAAA of the MX hosts, RBL test entries, PTR and forward
// confirmation), merged into the DnsState the scrapes read.
#include "collectors/dns/dns_round.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "lib/base/log.h"
#include "lib/dns/dns_prober.h"

namespace mailflow::dns_collector {

using Clock = std::chrono::steady_clock;

namespace {

size_t ResultIndex(DnsResult r) {
  for (size_t i = 0; i < std::size(kAllDnsResults); ++i) {
    if (kAllDnsResults[i] == r) return i;
  }
  return std::size(kAllDnsResults) - 1;
}

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2]
                      : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

// ---- one round ------------------------------------------------------------

struct Observation {
  std::string type;
  std::string resolver;
  std::string domain;  // MX only: the domain label
  std::string zone;    // RBL only
  DnsResult result;
  double seconds;
};

class Round {
 public:
  Round(const DnsOptions& o, const LocalFacts& facts,
        std::vector<ProbeDomain> domains,
        const std::vector<std::string>& reverse_addresses)
      : options_(o),
        facts_(facts),
        domains_(std::move(domains)),
        reverse_addresses_(reverse_addresses),
        prober_({o.query_timeout, o.attempts, o.max_in_flight}) {}

  Status Run(const std::atomic<bool>* stop, int wake_fd, DnsState* state) {
    const auto start = Clock::now();
    const double wall_start =
        std::chrono::duration<double>(
            std::chrono::system_clock::now().time_since_epoch())
            .count();
    std::vector<NameServer> servers;
    for (const auto& r : facts_.resolvers) servers.push_back(r.ns);
    // Resolvers c-ares rejects answer "other"; the rest still run.
    Status init = prober_.Init(servers);
    hosts_seen_.resize(servers.size());
    first_.resize(servers.size());
    repeat_.resize(servers.size());
    answering_.assign(servers.size(), false);
    for (size_t r = 0; r < servers.size(); ++r) {
      for (size_t d = 0; d < domains_.size(); ++d) SubmitMx(r, d, false);
    }
    if (facts_.smtpd_primary >= 0) {
      const size_t p = static_cast<size_t>(facts_.smtpd_primary);
      for (const auto& z : rbl_zones_) SubmitRbl(p, z);
    }
    if (facts_.primary >= 0) {
      const size_t p = static_cast<size_t>(facts_.primary);
      for (const auto& a : reverse_addresses_) SubmitPtr(p, a);
    }
    Status st =
        prober_.Run(Deadline(start + options_.round_timeout), stop, wake_fd);
    RoundSummary s;
    s.done = true;
    s.timestamp = wall_start;
    s.duration = std::chrono::duration<double>(Clock::now() - start).count();
    s.sent = prober_.sent();
    s.skipped = prober_.skipped();
    for (size_t r = 0; r < servers.size(); ++r) {
      const std::string label = servers[r].Label();
      s.answering[label] = answering_[r];
      if (!first_[r].empty()) {
        s.first_median[label] = Median(first_[r]);
        s.repeat_median[label] = Median(repeat_[r]);
      }
    }
    s.mx = mx_;
    s.reverse = reverse_;
    s.resolvers = ResolverRounds(s);
    Merge(state, std::move(s));
    return init.ok() ? st : init;
  }

  // What each resolver did this round (the findings' view of it).
  std::map<std::string, DnsResolverRound> ResolverRounds(
      const RoundSummary& s) const {
    std::map<std::string, DnsResolverRound> out;
    std::map<std::string, std::vector<double>> mx_seconds;
    for (const auto& [label, answering] : s.answering) {
      out[label].resolver = label;
      out[label].answering = answering;
      auto rep = s.repeat_median.find(label);
      if (rep != s.repeat_median.end()) {
        out[label].repeat_median_seconds = rep->second;
      }
    }
    for (const Observation& ob : obs_) {
      if (!ob.zone.empty()) continue;  // RBL tests are not resolver health
      DnsResolverRound& r = out[ob.resolver];
      ++r.lookups;
      const bool failed = ob.result == DnsResult::kServfail ||
                          ob.result == DnsResult::kRefused ||
                          ob.result == DnsResult::kTimeout ||
                          ob.result == DnsResult::kOther;
      r.failures += failed;
      r.timeouts += ob.result == DnsResult::kTimeout;
      if (failed && r.failure_example.empty()) {
        r.failure_example =
            ob.type + " " +
            (ob.domain.empty() ? std::string("(a host)") : ob.domain) + ": " +
            std::string(DnsResultName(ob.result));
      }
      if (ob.type == "MX" && ob.result != DnsResult::kTimeout) {
        mx_seconds[ob.resolver].push_back(ob.seconds);
      }
    }
    for (auto& [label, v] : mx_seconds)
      out[label].mx_median_seconds = Median(v);
    return out;
  }

  void SetRblZones(std::vector<RblZone> zones) {
    rbl_zones_ = std::move(zones);
  }

 private:
  void Observe(size_t r, DnsType type, const DnsAnswer& a,
               std::string domain = "") {
    if (a.responded) answering_[r] = true;
    obs_.push_back({DnsTypeName(type), facts_.resolvers[r].ns.Label(),
                    std::move(domain), "", a.result, a.seconds});
  }

  void SubmitMx(size_t r, size_t d, bool repeat) {
    const std::string& domain = domains_[d].name;
    prober_.Submit(r, DnsType::kMX, domain,
                   [this, r, d, repeat](const DnsAnswer& a) {
                     if (repeat) {
                       if (a.responded) answering_[r] = true;
                       repeat_[r].push_back(a.seconds);
                       return;
                     }
                     Observe(r, DnsType::kMX, a, domains_[d].label);
                     OnMx(r, d, a);
                   });
  }

  void OnMx(size_t r, size_t d, const DnsAnswer& a) {
    const std::string& label = domains_[d].label;
    if (label != "other" && !mx_.count(label) &&
        (a.result == DnsResult::kOk || a.result == DnsResult::kNodata ||
         a.result == DnsResult::kNxdomain)) {
      mx_[label] = {static_cast<int>(a.mx.size()), a.NullMx()};
    }
    if (a.result != DnsResult::kOk) return;
    if (options_.cache_check) {
      first_[r].push_back(a.seconds);
      SubmitMx(r, d, true);
    }
    if (a.NullMx()) return;
    for (const std::string& host :
         PreferredMxHosts(a.mx, options_.mx_hosts_per_domain)) {
      if (!hosts_seen_[r].insert(HostKey(host)).second) continue;
      prober_.Submit(r, DnsType::kA, host, [this, r](const DnsAnswer& x) {
        Observe(r, DnsType::kA, x);
      });
      if (options_.lookup_aaaa) {
        prober_.Submit(r, DnsType::kAAAA, host, [this, r](const DnsAnswer& x) {
          Observe(r, DnsType::kAAAA, x);
        });
      }
    }
  }

  void SubmitRbl(size_t r, const RblZone& z) {
    prober_.Submit(r, DnsType::kA, z.TestName(),
                   [this, r, zone = z.zone](const DnsAnswer& a) {
                     if (a.responded) answering_[r] = true;
                     Observation ob{"A",      facts_.resolvers[r].ns.Label(),
                                    "",       zone,
                                    a.result, a.seconds};
                     obs_.push_back(ob);
                     bool listed = false;
                     for (const auto& addr : a.addresses) {
                       // 127.0.0.0/8 but not 127.255.255.0/24 (the lists'
                       // error codes, e.g. "public resolver refused").
                       if (addr.rfind("127.", 0) == 0 &&
                           addr.rfind("127.255.255.", 0) != 0) {
                         listed = true;
                       }
                     }
                     rbl_listed_[zone] = listed;
                   });
  }

  void SubmitPtr(size_t r, const std::string& address) {
    reverse_[address] = ReverseState();
    prober_.Submit(
        r, DnsType::kPTR, address, [this, r, address](const DnsAnswer& a) {
          Observe(r, DnsType::kPTR, a);
          ReverseState& rs = reverse_[address];
          rs.ptr_present = a.result == DnsResult::kOk && !a.names.empty();
          const bool v6 = address.find(':') != std::string::npos;
          size_t n = 0;
          for (const auto& name : a.names) {
            if (++n > 4) break;
            if (!facts_.myhostname.empty() &&
                HostKey(name) == facts_.myhostname) {
              rs.matches_myhostname = true;
            }
            prober_.Submit(r, v6 ? DnsType::kAAAA : DnsType::kA, name,
                           [this, r, address, v6](const DnsAnswer& x) {
                             Observe(r, v6 ? DnsType::kAAAA : DnsType::kA, x);
                             for (const auto& got : x.addresses) {
                               if (got == address) {
                                 reverse_[address].forward_confirmed = true;
                               }
                             }
                           });
          }
        });
  }

  void Merge(DnsState* state, RoundSummary s) {
    std::lock_guard<std::mutex> lock(state->mu);
    // Pre-create every series this config can produce, so rate() works
    // from the first round on.
    for (const auto& r : facts_.resolvers) {
      const std::string res = state->ResolverLabel(r.ns.Label());
      std::vector<std::string> types;
      if (!options_.domains.empty() || options_.domains_from_queue > 0) {
        types = {"MX", "A"};
        if (options_.lookup_aaaa) types.push_back("AAAA");
      }
      if (!reverse_addresses_.empty() &&
          &r - facts_.resolvers.data() == facts_.primary) {
        types.push_back("PTR");
        if (std::find(types.begin(), types.end(), "A") == types.end()) {
          types.push_back("A");
        }
      }
      for (const auto& t : types) {
        state->hist.try_emplace({t, res}, DnsDurationBuckets());
        state->counters[{t, res}];
      }
    }
    for (const auto& ob : obs_) {
      const size_t ri = ResultIndex(ob.result);
      if (!ob.zone.empty()) {
        RblState& z = state->rbl[ob.zone];
        z.hist.Observe(ob.seconds);
        ++z.counters.by_result[ri];
        z.resolver = ob.resolver;
        continue;
      }
      const std::string res = state->ResolverLabel(ob.resolver);
      state->hist.try_emplace({ob.type, res}, DnsDurationBuckets())
          .first->second.Observe(ob.seconds);
      ++state->counters[{ob.type, res}].by_result[ri];
      if (!ob.domain.empty()) {
        state->mx_hist.try_emplace(ob.domain, DnsDurationBuckets())
            .first->second.Observe(ob.seconds);
        ++state->mx_counters[ob.domain].by_result[ri];
      }
    }
    // Queue domains come and go: drop the series of those no longer probed,
    // so the label set stays bounded by max_domains + domains_from_queue.
    std::set<std::string> probed = {"other"};
    for (const auto& d : domains_) probed.insert(d.label);
    std::erase_if(state->mx_hist,
                  [&](const auto& e) { return !probed.count(e.first); });
    std::erase_if(state->mx_counters,
                  [&](const auto& e) { return !probed.count(e.first); });
    for (const auto& [zone, listed] : rbl_listed_) {
      state->rbl[zone].listed = listed;
      state->rbl[zone].have_result = true;
    }
    state->last = std::move(s);
    state->round_done.notify_all();
  }

  const DnsOptions& options_;
  const LocalFacts& facts_;
  const std::vector<ProbeDomain> domains_;
  std::vector<std::string> reverse_addresses_;
  std::vector<RblZone> rbl_zones_;
  DnsProber prober_;
  std::vector<std::set<std::string>> hosts_seen_;
  std::vector<std::vector<double>> first_, repeat_;
  std::vector<bool> answering_;
  std::vector<Observation> obs_;
  std::map<std::string, std::pair<int, bool>> mx_;
  std::map<std::string, bool> rbl_listed_;
  std::map<std::string, ReverseState> reverse_;
};

}  // namespace

std::vector<ProbeDomain> ProbeDomainsFor(const DnsOptions& o,
                                         const DestinationDomains& queue) {
  std::vector<ProbeDomain> out;
  std::set<std::string> seen;
  for (size_t i = 0; i < o.domains.size(); ++i) {
    out.push_back({o.domains[i], i < o.max_domains ? o.domains[i] : "other"});
    seen.insert(o.domains[i]);
  }
  if (o.domains_from_queue == 0) return out;
  size_t taken = 0;
  // The whole list: configured names and address literals are skipped.
  for (auto name : queue.Top(DestinationDomains::kMaxDomains)) {
    if (taken >= o.domains_from_queue) break;
    name = HostKey(std::move(name));
    if (name == "other" || !ValidDomainName(name) ||
        !seen.insert(name).second) {
      continue;
    }
    out.push_back({name, name, true});
    ++taken;
  }
  return out;
}

std::vector<RblZone> RblZonesFor(const DnsOptions& o, const LocalFacts& f) {
  std::vector<RblZone> zones;
  if (!o.rbl_checks) return zones;
  std::set<std::string> seen;
  for (const auto& z : f.postfix.rbl_zones) {
    if (zones.size() < o.max_rbl_zones && seen.insert(z.zone).second) {
      zones.push_back(z);
    }
  }
  for (const auto& z : o.rbl_zones) {
    // "zone" (IP list) or "rhsbl:zone" (domain list)
    RblZone rz;
    rz.parameter = "config";
    if (z.rfind("rhsbl:", 0) == 0) {
      rz.domain_list = true;
      rz.zone = HostKey(z.substr(6));
    } else {
      rz.zone = HostKey(z);
    }
    if (zones.size() < o.max_rbl_zones && seen.insert(rz.zone).second) {
      zones.push_back(rz);
    }
  }
  return zones;
}

Status RunRound(const DnsOptions& options, const LocalFacts& facts,
                std::vector<ProbeDomain> domains,
                const std::vector<std::string>& reverse_addresses,
                std::vector<RblZone> rbl_zones, const std::atomic<bool>* stop,
                int wake_fd, DnsState* state) {
  Round round(options, facts, std::move(domains), reverse_addresses);
  round.SetRblZones(std::move(rbl_zones));
  return round.Run(stop, wake_fd, state);
}

}  // namespace mailflow::dns_collector
