#include "collectors/smtp/smtp_diagnosis.h"

#include "collectors/common/fix_commands.h"

namespace mailflow {

namespace {

using S = CheckStatus;
using Probe = SmtpFacts::Probe;

std::string Endpoint(const Probe& p) {
  const bool v6 = p.target.find(':') != std::string::npos;
  return (v6 ? "[" + p.target + "]" : p.target) + ":" + std::to_string(p.port);
}

std::string What(ProbeResult r) {
  switch (r) {
    case ProbeResult::kOk:
      return "greets, answers EHLO";
    case ProbeResult::kRefused:
      return "refused (RST: nothing listens, or a reject rule)";
    case ProbeResult::kTimeout:
      return "timeout (the SYN went unanswered: a silent drop)";
    case ProbeResult::kUnreachable:
      return "unreachable (ICMP unreachable or no route)";
    case ProbeResult::kBannerTimeout:
      return "connects, but no greeting";
    case ProbeResult::kBannerError:
      return "greets with an error (421/554: it refuses this host)";
    case ProbeResult::kTlsError:
      return "STARTTLS or the TLS handshake fails";
    case ProbeResult::kProtocolError:
      return "EHLO rejected or the dialogue stalled";
    case ProbeResult::kError:
      break;
  }
  return "local error (sockets or file descriptors)";
}

Evidence Line(const Probe& p) {
  std::string text = Endpoint(p) + ": " + std::string(ProbeResultName(p.last));
  if (!p.detail.empty()) text += " (" + p.detail + ")";
  return {text, "smtp probe, " + p.direction};
}

void Blocked(const SmtpFacts& f, std::vector<Finding>* out) {
  Finding x(Step::kOutbound, S::kFail,
            "port 25 to the probe targets times out while a control port on "
            "the same hosts connects: the provider (or an egress firewall) "
            "blocks outbound SMTP; mail to other domains stays deferred");
  for (const Probe& p : f.probes) {
    if (p.probed && (p.direction == "control" || p.port == 25)) {
      x.evidence.push_back(Line(p));
    }
  }
  out->push_back(
      std::move(x)
          .Fix("ask the provider to lift the port 25 block, or "
               "relay through a smarthost: " +
                   PostfixTool("postconf", f.config_directory,
                               "-e 'relayhost = "
                               "[smtp.provider.example]:587'") +
                   " with SASL (smtp_sasl_auth_enable = yes)",
               PostfixReload(f.config_directory) + " && " +
                   PostfixTool("postqueue", f.config_directory, "-f"))
          .Runbook("OutboundPort25Blocked"));
}

Finding ForProbe(const SmtpFacts& f, const Probe& p) {
  const bool ok = p.last == ProbeResult::kOk;
  const std::string who = p.direction == "relayhost" ? "the relayhost "
                          : p.direction == "inbound" ? "this host's "
                                                     : "";
  Finding x(p.direction == "inbound" ? Step::kListening : Step::kOutbound,
            S::kOk, who + Endpoint(p) + ": " + What(p.last));
  x.subject = Endpoint(p);
  x.evidence.push_back(Line(p));
  if (ok) {
    if (p.starttls_offered) x.summary += ", offers STARTTLS";
    return x;
  }
  if (p.direction == "relayhost") {
    x.status = S::kFail;
    x.summary += ": every outbound message defers";
    return std::move(x)
        .Fix("check relayhost's host and port (" +
                 PostfixTool("postconf", f.config_directory, "relayhost") +
                 "), nc -vz to it, and smtp_tls_wrappermode for port 465",
             PostfixReload(f.config_directory) + " && " +
                 PostfixTool("postqueue", f.config_directory, "-f"))
        .Runbook("RelayhostUnreachable");
  }
  if (p.direction == "inbound") {
    x.status = S::kFail;
    x.summary += ": other hosts cannot deliver here either";
    return std::move(x)
        .Fix(
            "see the listening and firewall steps (inet_interfaces, "
            "master.cf, the input chain)")
        .Runbook("InboundSelfProbeFailing");
  }
  x.status = S::kWarn;
  return std::move(x)
      .Fix("nc -vz " + p.target + " " + std::to_string(p.port) +
           " from this host; check egress rules (nft list ruleset) and the "
           "remote side")
      .Runbook("OutboundSMTPFailing");
}

}  // namespace

void SmtpFindings(const SmtpFacts& f, std::vector<Finding>* out) {
  if (!f.configured) {
    out->push_back(Finding(Step::kOutbound, S::kSkipped,
                           "no outbound probe is configured "
                           "(collectors.smtp: targets, domains, relayhost)"));
    return;
  }
  if (f.last_run == 0) {
    out->push_back(
        Finding::Unchecked(Step::kOutbound, "no probe round has finished yet"));
    return;
  }
  if (f.port25_known && f.port25_blocked) Blocked(f, out);
  bool outbound = false;
  for (const Probe& p : f.probes) {
    if (!p.probed || p.direction == "control") continue;
    outbound = outbound || p.direction != "inbound";
    out->push_back(ForProbe(f, p));
  }
  if (!outbound && !(f.port25_known && f.port25_blocked)) {
    out->push_back(Finding(Step::kOutbound, S::kSkipped,
                           "only inbound self-probes are configured"));
  }
}

}  // namespace mailflow
