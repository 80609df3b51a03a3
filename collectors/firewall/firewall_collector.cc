// The `firewall` collector: the watched ports, the kernel's rulesets
// (KernelRulesets) and the managers' configurations (ManagerConfigs) each
// scrape, and the collector's registration.
#include "collectors/firewall/firewall_collector.h"

#include <sstream>

#include "collectors/firewall/firewall_diagnosis.h"
#include "collectors/firewall/firewall_families.h"
#include "collectors/firewall/firewall_options.h"
#include "collectors/firewall/kernel_rulesets.h"
#include "collectors/firewall/manager_configs.h"
#include "lib/base/file_util.h"
#include "lib/base/log.h"
#include "lib/postfix/inet_services.h"
#include "lib/postfix/postfix_config.h"

namespace mailflow {
namespace firewall_collector {

namespace {

// A global-scope IPv6 address on an interface other than lo.
bool HasGlobalIPv6(const std::string& proc) {
  std::string text;
  std::string err;
  if (!ReadWholeFile(proc + "/net/if_inet6", &text, &err)) return false;
  std::istringstream in(text);
  std::string addr, idx, plen, scope, flags, dev;
  while (in >> addr >> idx >> plen >> scope >> flags >> dev) {
    if (dev != "lo" && scope == "00") return true;
  }
  return false;
}

}  // namespace

/// The collector. Collect() never runs concurrently on one instance
/// (CollectorSet); Diagnose() reads what the last Collect() saw.
class FirewallCollector : public Collector, public Diagnosable {
 public:
  FirewallCollector(FirewallOptions options,
                    std::shared_ptr<PostfixSnapshotCache> snapshots)
      : options_(std::move(options)), snapshots_(std::move(snapshots)) {}
  std::string_view Name() const override { return "firewall"; }

  Status Collect(Deadline scrape_deadline,
                 std::vector<prometheus::MetricFamily>* out) override;
  void Diagnose(std::vector<Finding>* out) const override {
    FirewallFindings(seen_, out);
  }

 private:
  // The watched ports and, in *served, those an enabled master.cf service
  // uses (every watched port when the configuration cannot be read).
  std::set<int> WatchedPorts(std::set<int>* served) const;

  const FirewallOptions options_;
  const std::shared_ptr<PostfixSnapshotCache> snapshots_;
  KernelRulesets kernel_{&options_};
  ManagerConfigs managers_{&options_};
  FirewallFacts seen_;  // the last Collect(), for Diagnose()
};

Status FirewallCollector::Collect(Deadline scrape_deadline,
                                  std::vector<prometheus::MetricFamily>* out) {
  Deadline deadline =
      scrape_deadline.Min(Deadline::After(options_.command_timeout));
  FirewallFacts facts;
  facts.ports = WatchedPorts(&facts.served);
  const bool ipv6 = options_.ipv6 == "true" ||
                    (options_.ipv6 == "auto" && HasGlobalIPv6(options_.proc));

  // nftables (also iptables-nft, ufw and firewalld on Debian 12) and
  // iptables-legacy.
  const KernelView& kernel = kernel_.Read(facts.ports, ipv6, deadline);
  facts.nftables = kernel.nft;
  facts.iptables_legacy = kernel.legacy;
  facts.errors = kernel.errors;

  // --- ufw's and firewalld's own configuration ---
  managers_.Ufw(facts.ports, &facts.ufw);
  managers_.Firewalld(facts.ports, kernel.nft_tables, kernel.nft.readable,
                      &facts.firewalld);

  AppendFirewallFamilies(
      facts, RulesetReads{kernel_.nft_reads(), kernel_.legacy_reads()}, out);
  LogVerdicts("nftables", facts.nftables);
  LogVerdicts("iptables_legacy", facts.iptables_legacy);

  std::string joined;
  for (const auto& e : facts.errors) {
    joined += (joined.empty() ? "" : "; ") + e;
  }
  seen_ = std::move(facts);
  LogOnChange(LogLevel::kWarn, "firewall", "firewall/errors", joined,
              "the firewall ruleset is readable again");
  if (!joined.empty()) return Status::Error(joined);
  return Status::OK();
}

std::set<int> FirewallCollector::WatchedPorts(std::set<int>* served) const {
  std::set<int> ports;
  for (int64_t p : options_.ports) ports.insert(static_cast<int>(p));
  std::string err;
  auto snapshot = snapshots_->Get(options_.postfix_config_directory, &err);
  if (snapshot) {
    for (const auto& s : snapshot->inet_services) {
      if (s.enabled && s.port > 0) ports.insert(s.port);
    }
  }
  // Bounded: a pathological master.cf cannot explode the series count.
  while (ports.size() > 32) ports.erase(std::prev(ports.end()));
  served->clear();
  for (int p : ports) {
    bool used = !snapshot;
    for (const auto& s :
         snapshot ? snapshot->inet_services : std::vector<InetService>()) {
      used = used || (s.enabled && s.port == p);
    }
    if (used) served->insert(p);
  }
  return ports;
}

}  // namespace firewall_collector

using firewall_collector::FirewallCollector;

void RegisterFirewallCollector(CollectorRegistry* registry) {
  registry->Add(
      {"firewall", true,
       "Verdict of the host firewall (nftables, iptables-legacy; ufw and "
       "firewalld configuration) for inbound connections to SMTP ports. "
       "Needs CAP_NET_ADMIN.",
       [](const Config& config, ConfigMap options,
          const CollectorContext& context,
          std::string* err) -> std::unique_ptr<Collector> {
         FirewallOptions o;
         if (!ParseFirewallOptions(config, std::move(options), &o, err)) {
           return nullptr;
         }
         return std::make_unique<FirewallCollector>(std::move(o),
                                                    context.postfix);
       }});
}

}  // namespace mailflow
