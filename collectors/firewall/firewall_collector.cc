// The `firewall` collector's scrape: the watched ports, the kernel's
// rulesets (firewall_collector_kernel.cc) and the managers' configurations
// (firewall_collector_managers.cc), and the collector's registration.
#include "collectors/firewall/firewall_collector.h"

#include <sys/stat.h>

#include <sstream>

#include "collectors/firewall/firewall_collector_internal.h"
#include "lib/base/file_util.h"
#include "lib/base/log.h"
#include "lib/postfix/inet_services.h"
#include "lib/postfix/postfix_config.h"

namespace mailflow {

namespace firewall_collector_internal {

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

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

std::string ReadOrEmpty(const std::string& path) {
  std::string s, err;
  if (!ReadWholeFile(path, &s, &err, 4 << 20)) s.clear();
  return s;
}

Status FirewallCollector::Collect(Deadline scrape_deadline,
                                  std::vector<prometheus::MetricFamily>* out) {
  Deadline deadline = scrape_deadline.Min(Deadline::After(options_.command_timeout));
  std::set<int> served;
  std::set<int> ports = WatchedPorts(&served);
  const bool ipv6 =
      options_.ipv6 == "true" || (options_.ipv6 == "auto" && HasGlobalIPv6(options_.proc));

  // nftables (also iptables-nft, ufw and firewalld on Debian 12) and
  // iptables-legacy.
  const KernelView& kernel = Kernel(ports, ipv6, deadline);
  std::vector<std::string> errors = kernel.errors;

  // --- ufw's and firewalld's own configuration ---
  BackendResult ufw, firewalld;
  CollectUfw(ports, &ufw);
  CollectFirewalld(ports, kernel.nft_tables, kernel.nft.readable, &firewalld);

  EmitMetrics(ports, kernel.nft, kernel.legacy, ufw, firewalld, out);
  LogVerdicts("nftables", kernel.nft);
  LogVerdicts("iptables_legacy", kernel.legacy);

  std::string joined;
  for (const auto& e : errors) joined += (joined.empty() ? "" : "; ") + e;
  seen_ = FirewallFacts{
      std::move(ports), std::move(served),    kernel.nft,       kernel.legacy,
      std::move(ufw),   std::move(firewalld), std::move(errors)};
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

}  // namespace firewall_collector_internal

using firewall_collector_internal::FirewallCollector;

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
