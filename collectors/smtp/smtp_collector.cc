#include "collectors/smtp/smtp_collector.h"

#include "collectors/common/metrics.h"
#include "collectors/smtp/smtp_collector_internal.h"

namespace mailflow {

// --- the collector ------------------------------------------------------

namespace smtp_internal {

const std::vector<double>& PhaseBuckets() {
  static const std::vector<double> b = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                        0.5,   1,    2.5,   5,    10,  30};
  return b;
}

SmtpCollector::~SmtpCollector() {
  probes_->RemoveOwner(this);
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  stop_flag_ = true;
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void SmtpCollector::Start() {
  auto handler = std::make_shared<SmtpProbeHandler>(options_);
  for (const auto& [name, mod] : options_->modules) {
    probes_->Set(name, handler, this);
  }
  if (!HasBackgroundTargets()) return;  // nothing configured: no traffic
  thread_ = std::thread([this] { Loop(); });
}

Status SmtpCollector::Collect(Deadline,
                              std::vector<prometheus::MetricFamily>* out) {
  SmtpRoundState& state = *state_;
  std::lock_guard<std::mutex> lock(state.mu);
  FamilyBuilder total(out, "mailflow_smtp_probes_total",
                      "SMTP probe attempts by outcome (background probes).",
                      prometheus::MetricType::Counter);
  FamilyBuilder last(out, "mailflow_smtp_probe_last_result",
                     "Outcome of the last background probe of the target "
                     "(1 for the outcome, 0 for the others).",
                     prometheus::MetricType::Gauge);
  FamilyBuilder success(out, "mailflow_smtp_probe_success",
                        "Whether the last background probe of the target "
                        "succeeded.",
                        prometheus::MetricType::Gauge);
  FamilyBuilder starttls(out, "mailflow_smtp_starttls_offered",
                         "Whether the target's EHLO reply advertised "
                         "STARTTLS in the last probe that reached EHLO.",
                         prometheus::MetricType::Gauge);
  FamilyBuilder cert(out,
                     "mailflow_smtp_tls_certificate_expiry_timestamp_seconds",
                     "notAfter of the target's TLS certificate seen by the "
                     "last successful handshake, Unix seconds.",
                     prometheus::MetricType::Gauge);
  std::vector<HistogramSeries> durations;
  std::map<std::string, int> per_direction;
  for (const auto& [key, st] : state.series) {
    Labels base = {{"direction", key.direction},
                   {"port", std::to_string(key.port)},
                   {"target", key.target}};
    ++per_direction[key.direction];
    for (int i = 0; i < kNumProbeResults; ++i) {
      Labels l = base;
      l.emplace_back("result",
                     std::string(ProbeResultName(static_cast<ProbeResult>(i))));
      total.Add(l, static_cast<double>(st.results[i]));
      if (st.probed)
        last.Add(l, st.last == static_cast<ProbeResult>(i) ? 1 : 0);
    }
    if (st.probed) success.Add(base, st.last == ProbeResult::kOk ? 1 : 0);
    for (int i = 0; i < kNumProbePhases; ++i) {
      if (key.direction == "control" && i != 0) continue;
      Labels l = base;
      l.emplace_back("phase",
                     std::string(ProbePhaseName(static_cast<ProbePhase>(i))));
      durations.push_back({std::move(l), &st.phases[i]});
    }
    if (st.ehlo_done) starttls.Add(base, st.starttls_offered ? 1 : 0);
    if (st.cert_not_after > 0) cert.Add(base, st.cert_not_after);
  }
  AddHistogramFamily(out, "mailflow_smtp_probe_duration_seconds",
                     "Duration of SMTP probe phases (connect, banner, ehlo, "
                     "starttls) of background probes.",
                     durations);
  FamilyBuilder targets(out, "mailflow_smtp_targets",
                        "Targets probed in the last round, by direction.",
                        prometheus::MetricType::Gauge);
  for (const char* d : {"outbound", "relayhost", "control", "inbound"}) {
    targets.Add({{"direction", d}}, per_direction[d]);
  }
  if (state.port25_known) {
    AddGauge(out, "mailflow_smtp_outbound_port25_blocked",
             "1 when port 25 to the outbound targets timed out in the last "
             "round while a control port on the same hosts connected "
             "(provider block).",
             state.port25_blocked ? 1 : 0);
  }
  seen_ = FactsLocked();
  if (state.last_run > 0) {
    AddGauge(out, "mailflow_smtp_last_run_timestamp_seconds",
             "When the last probe round finished, Unix seconds.",
             state.last_run);
    AddGauge(out, "mailflow_smtp_round_duration_seconds",
             "How long the last probe round took.", state.round_seconds);
  }
  return Status::OK();
}

SmtpFacts SmtpCollector::FactsLocked() const {
  SmtpFacts f;
  f.config_directory = options_->postfix_config_directory;
  f.configured = HasBackgroundTargets();
  f.last_run = state_->last_run;
  f.port25_known = state_->port25_known;
  f.port25_blocked = state_->port25_blocked;
  for (const auto& [key, st] : state_->series) {
    f.probes.push_back({key.direction, key.target, key.port, st.probed, st.last,
                        st.starttls_offered, st.detail});
  }
  return f;
}

void SmtpCollector::WaitForResults(Deadline deadline) {
  if (!HasBackgroundTargets()) return;
  SmtpRoundState& state = *state_;
  std::unique_lock<std::mutex> lock(state.mu);
  state.round_done.wait_until(lock, deadline.at(),
                              [&state] { return state.last_run > 0; });
}

void SmtpCollector::Loop() {
  // The schedule is the state's: after a reload with the same options the
  // next round comes when it was due, not at once (RoundClock).
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_until(lock, state_->clock.due(), [this] { return stop_; });
      if (stop_) return;
    }
    if (!state_->clock.Claim(RoundClock::Clock::now(), options_->interval)) {
      continue;  // the previous collector's loop took this round
    }
    RunRound();
  }
}

}  // namespace smtp_internal

using smtp_internal::SmtpCollector;

std::unique_ptr<Collector> NewSmtpCollector(SmtpOptions options,
                                            const CollectorContext& context,
                                            const std::string& carry_key) {
  auto state =
      carry_key.empty()
          ? std::make_shared<smtp_internal::SmtpRoundState>()
          : context.carry_over->Get<smtp_internal::SmtpRoundState>(carry_key);
  return std::make_unique<SmtpCollector>(std::move(options), context,
                                         std::move(state));
}

void RegisterSmtpCollector(CollectorRegistry* registry) {
  registry->Add(CollectorInfo{
      "smtp", true,
      "Outbound and inbound SMTP reachability probes (only for configured "
      "targets) and the /probe endpoint.",
      [](const Config& config, ConfigMap options,
         const CollectorContext& context,
         std::string* err) -> std::unique_ptr<Collector> {
        SmtpOptions o;
        // What the probes depend on: the section, and main.cf (relayhost).
        const std::string key = "smtp\n" + options.Fingerprint() + "\n" +
                                config.paths.postfix_config_directory;
        if (!ParseSmtpOptions(config, std::move(options), &o, err)) {
          return nullptr;
        }
        return NewSmtpCollector(std::move(o), context, key);
      }});
}

}  // namespace mailflow
