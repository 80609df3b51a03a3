#include "collectors/smtp/smtp_collector.h"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "collectors/common/metrics.h"
#include "collectors/smtp/round_planner.h"
#include "collectors/smtp/smtp_diagnosis.h"
#include "collectors/smtp/smtp_round_state.h"
#include "lib/base/log.h"

namespace mailflow {

namespace smtp_collector {

/// The collector: background probe rounds in a thread of its own (Start()
/// to the destructor), /probe modules registered in Start(). Collect() and
/// Diagnose() are not called concurrently on one instance (CollectorSet).
class SmtpCollector : public Collector, public Diagnosable {
 public:
  SmtpCollector(SmtpOptions options, const CollectorContext& context,
                std::shared_ptr<SmtpRoundState> state)
      : options_(std::make_shared<const SmtpOptions>(std::move(options))),
        probes_(context.probes),
        snapshots_(context.postfix),
        state_(std::move(state)) {}

  ~SmtpCollector() override;

  std::string_view Name() const override { return "smtp"; }

  void Start() override;

  Status Collect(Deadline, std::vector<prometheus::MetricFamily>* out) override;
  void Diagnose(std::vector<Finding>* out) const override {
    SmtpFindings(seen_, out);
  }
  // The first probe round (when anything is probed in the background).
  void WaitForResults(Deadline deadline) override;

 private:
  bool HasBackgroundTargets() const {
    return RoundPlanner::HasTargets(*options_);
  }
  // One background round: plan, probe, record.
  void RunRound();

  void Loop();
  // REQUIRES: state_->mu held.
  SmtpFacts FactsLocked() const;

  std::shared_ptr<const SmtpOptions> options_;
  // Where Start() registers the /probe modules (the exporter's).
  const std::shared_ptr<ProbeRegistry> probes_;
  const std::shared_ptr<PostfixSnapshotCache> snapshots_;

  std::mutex mu_;  // guards stop_
  std::condition_variable cv_;
  bool stop_ = false;
  std::atomic<bool> stop_flag_{false};
  std::thread thread_;

  const std::shared_ptr<SmtpRoundState> state_;  // never null
  SmtpFacts seen_;  // the last Collect(), for Diagnose()
};

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

void SmtpCollector::RunRound() {
  auto start = std::chrono::steady_clock::now();
  std::vector<PlannedProbe> plan =
      RoundPlanner(options_.get(), snapshots_.get(), &stop_flag_).Plan();
  std::vector<ProbeSpec> specs;
  specs.reserve(plan.size());
  for (const auto& p : plan) specs.push_back(p.spec);
  ProbeBatchOptions bo;
  bo.max_concurrency = options_->max_concurrency;
  bo.stop = &stop_flag_;
  std::vector<ProbeOutcome> outcomes = RunProbes(specs, bo);
  if (stop_flag_) return;  // cancelled results are not facts
  double round =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  state_->Record(plan, outcomes, round,
                 !options_->port25_control_ports.empty());
}

}  // namespace smtp_collector

using smtp_collector::SmtpCollector;

std::unique_ptr<Collector> NewSmtpCollector(SmtpOptions options,
                                            const CollectorContext& context,
                                            const std::string& carry_key) {
  auto state =
      carry_key.empty()
          ? std::make_shared<smtp_collector::SmtpRoundState>()
          : context.carry_over->Get<smtp_collector::SmtpRoundState>(carry_key);
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
