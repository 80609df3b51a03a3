// The metric families of the firewall collector and the log lines of its
// verdicts.
#pragma once

#include <prometheus/metric_family.h>

#include <cstdint>
#include <string>
#include <vector>

#include "collectors/firewall/firewall_diagnosis.h"

namespace mailflow::firewall_collector {

/// How often the kernel backends' rulesets were read (counters).
struct RulesetReads {
  uint64_t nft = 0;
  uint64_t legacy = 0;
};

/// Appends the families of one scrape: verdicts and conditional reasons
/// per backend and port, the backends' presence, state and rule counts,
/// and the ruleset reads.
void AppendFirewallFamilies(const FirewallFacts& facts, RulesetReads reads,
                            std::vector<prometheus::MetricFamily>* out);

/// Logs each port's verdict of `backend` when it changed (LogOnChange).
void LogVerdicts(const std::string& backend, const FirewallBackend& b);

}  // namespace mailflow::firewall_collector
