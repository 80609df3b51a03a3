// What the smtp collector's last probe round found, and the findings of
// steps "outbound" (port 25 and why it fails, the relayhost) and
// "listening" (the inbound self-probe). Pure.
#pragma once

#include <string>
#include <vector>

#include "collectors/finding.h"
#include "lib/smtp/smtp_prober.h"

namespace mailflow {

/// Kept by Collect(), read by Diagnose(). Value type.
struct SmtpFacts {
  std::string config_directory;
  /// Whether anything is probed in the background (targets, domains,
  /// relayhost, self-probe addresses).
  bool configured = false;
  double last_run = 0;  // 0: no round finished yet
  bool port25_known = false;
  bool port25_blocked = false;
  struct Probe {
    std::string direction;  // outbound, relayhost, control, inbound
    std::string target;
    int port = 0;
    bool probed = false;
    ProbeResult last = ProbeResult::kOk;
    bool starttls_offered = false;
    std::string detail;  // the prober's description of the last result
  };
  std::vector<Probe> probes;
};

/// Steps kOutbound and kListening (direction inbound). Severity follows
/// the alerts: OutboundPort25Blocked, RelayhostUnreachable and
/// InboundSelfProbeFailing are FAIL, OutboundSMTPFailing is WARN.
void SmtpFindings(const SmtpFacts& facts, std::vector<Finding>* out);

}  // namespace mailflow
