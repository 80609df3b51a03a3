// The metric families of the `firewall` collector and the log lines of
// its verdicts.
#include "collectors/firewall/firewall_families.h"

#include <initializer_list>
#include <utility>

#include "collectors/common/metrics.h"
#include "lib/base/log.h"

namespace mailflow::firewall_collector {

using firewall::Verdict;

namespace {

void AddVerdicts(FamilyBuilder* f, FamilyBuilder* reason,
                 const std::string& backend, const FirewallBackend& b) {
  if (!b.evaluated) return;
  for (const auto& [port, o] : b.verdicts) {
    const std::string ps = std::to_string(port);
    for (Verdict v : firewall::kAllVerdicts) {
      f->Add({{"backend", backend},
              {"port", ps},
              {"verdict", std::string(firewall::VerdictName(v))}},
             o.verdict == v);
    }
    if (o.verdict == Verdict::kConditional) {
      reason->Add({{"backend", backend},
                   {"port", ps},
                   {"reason", std::string(firewall::ReasonName(o.reason))}},
                  1);
    }
  }
}

struct FamilyName {
  const char* name;
  const char* help;
};

// A verdict family and its conditional-reason family, with the series of
// `backends` (name, result).
void AddVerdictFamilies(
    std::vector<prometheus::MetricFamily>* out, FamilyName verdict,
    FamilyName reason,
    std::initializer_list<std::pair<const char*, const FirewallBackend*>>
        backends) {
  FamilyBuilder f(out, verdict.name, verdict.help,
                  prometheus::MetricType::Gauge);
  FamilyBuilder r(out, reason.name, reason.help, prometheus::MetricType::Gauge);
  for (const auto& [name, b] : backends) AddVerdicts(&f, &r, name, *b);
}

}  // namespace

void AppendFirewallFamilies(const FirewallFacts& facts, RulesetReads reads,
                            std::vector<prometheus::MetricFamily>* out) {
  const FirewallBackend& nft = facts.nftables;
  const FirewallBackend& legacy = facts.iptables_legacy;
  const FirewallBackend& ufw = facts.ufw;
  const FirewallBackend& firewalld = facts.firewalld;
  const std::pair<const char*, const FirewallBackend*> all[] = {
      {"nftables", &nft},
      {"iptables_legacy", &legacy},
      {"ufw", &ufw},
      {"firewalld", &firewalld}};
  AddVerdictFamilies(
      out,
      {"mailflow_firewall_inbound_verdict",
       "Verdict of the kernel's ruleset for a new inbound TCP connection from "
       "an outside address to the port, per backend (nftables covers "
       "iptables-nft, ufw and firewalld); one series per verdict, 1 for the "
       "current."},
      {"mailflow_firewall_inbound_conditional_reason",
       "Why the kernel verdict of the port is conditional (source_address, "
       "destination_address, interface, rate_limit, address_family, "
       "unsupported); present only when conditional."},
      {{"nftables", &nft}, {"iptables_legacy", &legacy}});
  AddVerdictFamilies(
      out,
      {"mailflow_firewall_manager_verdict",
       "What the saved configuration of a firewall manager (ufw, firewalld) "
       "says about inbound TCP to the port; the kernel verdict stays the "
       "ground truth."},
      {"mailflow_firewall_manager_conditional_reason",
       "Why the manager's verdict is conditional; present only when "
       "conditional."},
      {{"ufw", &ufw}, {"firewalld", &firewalld}});
  FamilyBuilder present(out, "mailflow_firewall_backend_present",
                        "Whether the firewall backend is installed "
                        "(nftables: the nft tool; iptables_legacy: legacy "
                        "tables with rules or a non-ACCEPT policy; ufw, "
                        "firewalld: their configuration).",
                        prometheus::MetricType::Gauge);
  FamilyBuilder enabled(out, "mailflow_firewall_backend_enabled",
                        "Whether the backend filters: nftables has input "
                        "base chains, ufw.conf says ENABLED=yes, firewalld's "
                        "table is in the kernel.",
                        prometheus::MetricType::Gauge);
  FamilyBuilder readable(out, "mailflow_firewall_ruleset_readable",
                         "Whether the ruleset of the kernel backend could be "
                         "read (0 without CAP_NET_ADMIN).",
                         prometheus::MetricType::Gauge);
  FamilyBuilder rules(out, "mailflow_firewall_ruleset_rules",
                      "Rules in the backend's ruleset (ufw: its user rules; "
                      "firewalld: its zones).",
                      prometheus::MetricType::Gauge);
  for (const auto& [name, b] : all) {
    present.Add({{"backend", name}}, b->present);
    enabled.Add({{"backend", name}}, b->enabled);
    if (b == &nft || (b == &legacy && legacy.present)) {
      readable.Add({{"backend", name}}, b->readable);
    }
    if (b->evaluated)
      rules.Add({{"backend", name}}, static_cast<double>(b->rules));
  }
  FamilyBuilder(out, "mailflow_firewall_ruleset_reads_total",
                "Times the kernel backend's ruleset was read and evaluated "
                "(nft, iptables-legacy-save run); it moves when the ruleset "
                "changed, not every scrape.",
                prometheus::MetricType::Counter)
      .Add({{"backend", "nftables"}}, static_cast<double>(reads.nft))
      .Add({{"backend", "iptables_legacy"}}, static_cast<double>(reads.legacy));
}

void LogVerdicts(const std::string& backend, const FirewallBackend& b) {
  for (const auto& [port, o] : b.verdicts) {
    std::string msg = "port " + std::to_string(port) + " " + backend + ": " +
                      std::string(firewall::VerdictName(o.verdict));
    if (o.verdict == Verdict::kConditional) {
      msg += " (" + std::string(firewall::ReasonName(o.reason)) + ")";
    }
    msg += " at " + o.where;
    LogOnChange(LogLevel::kInfo, "firewall",
                "firewall/verdict/" + backend + "/" + std::to_string(port),
                msg);
  }
}

}  // namespace mailflow::firewall_collector
