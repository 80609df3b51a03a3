// Internal to the `dns` collector (dns_collector*.cc, dns_round.cc,
// dns_options.cc): the local facts, the accumulated probe results and
// DnsCollector, shared by the collector's lifecycle (dns_collector.cc), the
// background probe rounds (dns_round.cc) and the metric families
// (dns_collector_metrics.cc). Not a public header.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "collectors/common/carry_over.h"
#include "collectors/dns/dns_collector.h"
#include "collectors/dns/dns_diagnosis.h"
#include "collectors/dns/postfix_facts.h"
#include "lib/base/histogram.h"
#include "lib/dns/dns_prober.h"
#include "lib/postfix/rbl_zones.h"

namespace mailflow {
namespace dns_collector_internal {

using Clock = std::chrono::steady_clock;

using dns_collector::HostKey;
using dns_collector::ValidDomainName;

// One MX name of a round and its `domain` label: configured domains beyond
// max_domains share "other"; queue domains are labelled by name.
struct ProbeDomain {
  std::string name;
  std::string label;
  bool from_queue = false;
};

// The MX names of the next round: the configured domains, then up to
// domains_from_queue of the published queue domains that are valid names
// and not configured (dns_round.cc).
std::vector<ProbeDomain> ProbeDomainsFor(const DnsOptions& o,
                                         const DestinationDomains& queue);

// ---- local facts (files only; read at scrape time and per round) ----------

struct ResolverEntry {
  NameServer ns;
  std::set<std::string> sources;  // resolv_conf, chroot_resolv_conf, config
};

struct LocalFacts {
  std::string host_path;
  bool host_ok = false;
  std::string host_err;
  ResolvConf host;
  bool postfix_ok = false;
  std::string postfix_err;
  PostfixDnsFacts postfix;
  bool smtp_chrooted = false;   // the smtp client runs chrooted
  bool smtpd_chrooted = false;  // smtpd (RBL lookups) runs chrooted
  bool chrooted = false;        // either: the jail's resolv.conf is in use
  std::string jail_path;
  bool jail_ok = false;
  ResolvConf jail;
  bool differs = false;
  std::vector<ResolverEntry> resolvers;  // in probe order
  /// Index into resolvers of the server the smtp client's libc asks first
  /// (-1: none); PTR/FCrDNS lookups go there too.
  int primary = -1;
  /// The same for smtpd, which does the RBL lookups.
  int smtpd_primary = -1;
  std::string myhostname;
};

LocalFacts ReadLocalFacts(const DnsOptions& o, PostfixSnapshotCache* snapshots);

// ---- accumulated probe results ------------------------------------------

struct Counters {
  uint64_t by_result[std::size(kAllDnsResults)] = {};
};

struct RblState {
  CumulativeHistogram hist{DnsDurationBuckets()};
  Counters counters;
  bool listed = false;
  bool have_result = false;
  std::string resolver;
};

struct ReverseState {
  bool ptr_present = false;
  bool forward_confirmed = false;
  bool matches_myhostname = false;
};

struct RoundSummary {
  bool done = false;
  double timestamp = 0;
  double duration = 0;
  size_t sent = 0;
  size_t skipped = 0;
  std::map<std::string, bool> answering;           // resolver label
  std::map<std::string, double> first_median;      // resolver label
  std::map<std::string, double> repeat_median;     // resolver label
  std::map<std::string, std::pair<int, bool>> mx;  // domain -> count, null
  std::map<std::string, ReverseState> reverse;     // address
  /// Per resolver label: the round's lookups and failures (no RBL tests).
  std::map<std::string, DnsResolverRound> resolvers;
};

constexpr size_t kMaxResolverLabels = 16;

// What survives a reload with unchanged options (CarryOver): results,
// counters and the schedule.
class DnsState {
 public:
  RoundClock clock;
  std::mutex mu;                       // guards everything below
  std::condition_variable round_done;  // notified when `last` is replaced
  // (type, resolver) -> histogram / counters
  std::map<std::pair<std::string, std::string>, CumulativeHistogram> hist;
  std::map<std::pair<std::string, std::string>, Counters> counters;
  std::map<std::string, CumulativeHistogram> mx_hist;  // domain label
  std::map<std::string, Counters> mx_counters;         // domain label
  std::map<std::string, RblState> rbl;                 // zone
  RoundSummary last;

  // REQUIRES: mu held.
  std::string ResolverLabel(const std::string& label) {
    if (known_resolvers_.count(label)) return label;
    if (known_resolvers_.size() >= kMaxResolverLabels) return "other";
    known_resolvers_.insert(label);
    return label;
  }

 private:
  std::set<std::string> known_resolvers_;
};

// The RBL zones of a round: main.cf's, then the config's (dns_round.cc).
std::vector<RblZone> RblZonesFor(const DnsOptions& o, const LocalFacts& f);

// ---- the collector ----------------------------------------------------------

class DnsCollector : public Collector, public Diagnosable {
 public:
  DnsCollector(DnsOptions o, std::shared_ptr<DestinationDomains> queue,
               std::shared_ptr<PostfixSnapshotCache> snapshots,
               std::shared_ptr<DnsState> state)
      : options_(std::move(o)),
        queue_domains_(std::move(queue)),
        snapshots_(std::move(snapshots)),
        held_state_(std::move(state)),
        state_(*held_state_) {}

  ~DnsCollector() override;

  std::string_view Name() const override { return "dns"; }

  bool HasTargets() const {
    return !options_.domains.empty() || options_.domains_from_queue > 0 || options_.rbl_checks ||
           !options_.reverse_dns_addresses.empty() || options_.reverse_dns_auto;
  }

  void Start() override;
  Status Collect(Deadline deadline,
                 std::vector<prometheus::MetricFamily>* out) override;
  void Diagnose(std::vector<Finding>* out) const override {
    DnsFindings(seen_, out);
  }
  // The first probe round (when anything is probed).
  void WaitForResults(Deadline deadline) override;

 private:
  // The background probe rounds (dns_round.cc).
  void Loop();
  // The metric families (dns_collector_metrics.cc).
  void ExportLocal(const LocalFacts& f,
                   std::vector<prometheus::MetricFamily>* out);
  void ExportProbe(std::vector<prometheus::MetricFamily>* out);
  // The facts of the findings: local files and the last round.
  DnsFacts FactsOf(const LocalFacts& f);

  DnsOptions options_;
  const std::shared_ptr<DestinationDomains> queue_domains_;
  const std::shared_ptr<PostfixSnapshotCache> snapshots_;
  const std::shared_ptr<DnsState> held_state_;  // never null
  DnsState& state_;
  DnsFacts seen_;  // the last Collect(), for Diagnose()
  std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<bool> stop_{false};
  int wake_fd_ = -1;
  std::thread thread_;
};

}  // namespace dns_collector_internal
}  // namespace mailflow