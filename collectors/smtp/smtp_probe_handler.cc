// The /probe handler (SmtpProbeHandler) and its metric families.
#include "collectors/smtp/smtp_probe_handler.h"

#include <algorithm>

#include "collectors/common/metrics.h"
#include "lib/base/log.h"

namespace mailflow {

using smtp_collector::kComponent;
using smtp_collector::ModeFor;

// --- /probe ------------------------------------------------------------

namespace {

std::vector<prometheus::MetricFamily> ProbeFamilies(const ProbeOutcome& o,
                                                    double seconds, bool ran) {
  std::vector<prometheus::MetricFamily> f;
  AddGauge(&f, "probe_success", "Whether the SMTP probe succeeded.",
           ran && o.result == ProbeResult::kOk ? 1 : 0);
  AddGauge(&f, "probe_duration_seconds",
           "How long the probe took to complete in seconds.", seconds);
  {
    FamilyBuilder b(&f, "probe_smtp_result",
                    "How the attempt ended (1 for the outcome, 0 otherwise).",
                    prometheus::MetricType::Gauge);
    for (int i = 0; i < kNumProbeResults; ++i) {
      auto r = static_cast<ProbeResult>(i);
      b.Add({{"result", std::string(ProbeResultName(r))}},
            ran && o.result == r ? 1 : 0);
    }
  }
  {
    FamilyBuilder b(&f, "probe_smtp_duration_seconds",
                    "Duration of each completed SMTP phase in seconds.",
                    prometheus::MetricType::Gauge);
    for (int i = 0; i < kNumProbePhases; ++i) {
      if (o.phase_seconds[i] < 0) continue;
      b.Add(
          {{"phase", std::string(ProbePhaseName(static_cast<ProbePhase>(i)))}},
          o.phase_seconds[i]);
    }
  }
  AddGauge(&f, "probe_smtp_greeting_code",
           "Reply code of the server's greeting (0: none).", o.banner_code);
  AddGauge(&f, "probe_smtp_starttls_offered",
           "Whether the EHLO reply advertised STARTTLS.",
           o.starttls_offered ? 1 : 0);
  AddGauge(&f, "probe_smtp_tls", "Whether a TLS session was established.",
           o.tls_established ? 1 : 0);
  if (o.cert_not_after > 0) {
    AddGauge(&f, "probe_ssl_earliest_cert_expiry",
             "Expiry (notAfter) of the server certificate, Unix seconds.",
             o.cert_not_after);
  }
  return f;
}

ProbeResponse BadRequest(std::string message) {
  return ProbeResponse::Refused(ProbeResponse::Outcome::kBadRequest,
                                std::move(message));
}

}  // namespace

ProbeResponse SmtpProbeHandler::Probe(const ProbeRequest& req) {
  const std::string module = req.module.empty() ? "smtp" : req.module;
  auto mit = options_->modules.find(module);
  if (mit == options_->modules.end()) {
    return BadRequest("Unknown module \"" + module + "\"");
  }
  if (req.target.empty()) {
    return BadRequest("Target parameter is missing");
  }
  Endpoint ep;
  std::string perr;
  if (!ParseHostPort(req.target, 0, &ep, &perr)) {
    return BadRequest("Invalid target " + perr);
  }
  // ParseHostPort gives IPv4-mapped targets ([::ffff:127.0.0.1]) as IPv4,
  // the address they reach; "this host" addresses are never allowed.
  bool net_ok = !IsUnspecified(ep) &&
                std::any_of(options_->probe_allowed_networks.begin(),
                            options_->probe_allowed_networks.end(),
                            [&](const Cidr& c) { return CidrContains(c, ep); });
  bool port_ok = std::find(options_->probe_allowed_ports.begin(),
                           options_->probe_allowed_ports.end(),
                           ep.port) != options_->probe_allowed_ports.end();
  if (!net_ok || !port_ok) {
    LogOnChange(LogLevel::kInfo, kComponent, "probe-denied",
                "probe target denied by the allowlist: " + ep.ToString());
    return ProbeResponse::Refused(
        ProbeResponse::Outcome::kForbidden,
        "Target " + ep.ToString() +
            " is not allowed by "
            "collectors.smtp.probe.allowed_networks/allowed_ports");
  }
  const SmtpModule& mod = mit->second;
  ProbeSpec spec;
  spec.endpoint = ep;
  spec.tls = ModeFor(mod.tls, ep.port, options_->tls_implicit_ports);
  spec.connect_only = mod.connect_only;
  spec.ehlo_name = mod.ehlo_name;
  auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(
      req.deadline.Remaining());
  spec.timeout = std::min(mod.timeout, remaining);
  spec.connect_timeout = std::min(mod.connect_timeout, spec.timeout);
  auto start = std::chrono::steady_clock::now();
  ProbeBatchOptions bo;
  bo.max_concurrency = 1;
  bo.deadline = req.deadline;
  ProbeOutcome outcome;
  bool ran = spec.timeout.count() > 0;
  if (ran) outcome = RunProbes({spec}, bo)[0];
  double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  Log(LogLevel::kDebug, kComponent,
      "probe " + ep.ToString() + " module=" + module +
          " result=" + std::string(ProbeResultName(outcome.result)) +
          (outcome.detail.empty() ? ""
                                  : " detail=" + LogQuote(outcome.detail)));
  ProbeResponse resp;
  resp.families = ProbeFamilies(outcome, secs, ran);
  return resp;
}

}  // namespace mailflow
