#include "collectors/smtp/smtp_round_state.h"

#include <chrono>
#include <utility>

#include "collectors/smtp/smtp_options.h"
#include "lib/base/log.h"

namespace mailflow::smtp_collector {

namespace {

double NowSeconds() {
  return std::chrono::duration<double>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct Port25Evidence {
  bool any = false;        // a port-25 target was probed
  bool connected = false;  // one of them connected
  bool blocked = false;    // a timeout where the control port connected
};

Port25Evidence Port25Of(const std::vector<PlannedProbe>& plan,
                        const std::vector<ProbeOutcome>& outcomes) {
  Port25Evidence e;
  std::map<std::string, bool> p25_timeout, control_ok;
  for (size_t i = 0; i < plan.size(); ++i) {
    const SeriesKey& k = plan[i].key;
    const ProbeOutcome& o = outcomes[i];
    if (k.direction == "control") {
      if (o.result == ProbeResult::kOk) control_ok[k.target] = true;
    } else if ((k.direction == "outbound" || k.direction == "relayhost") &&
               k.port == 25) {
      e.any = true;
      if (o.connected) e.connected = true;
      if (o.result == ProbeResult::kTimeout) p25_timeout[k.target] = true;
    }
  }
  for (const auto& [host, t] : p25_timeout) {
    if (t && control_ok.count(host)) e.blocked = true;
  }
  return e;
}

void Observe(const ProbeOutcome& o, SeriesState* st) {
  ++st->results[static_cast<int>(o.result)];
  st->probed = true;
  st->last = o.result;
  st->detail = o.detail.substr(0, 300);
  for (int p = 0; p < kNumProbePhases; ++p) {
    if (o.phase_seconds[p] >= 0) st->phases[p].Observe(o.phase_seconds[p]);
  }
  if (o.phase_seconds[static_cast<int>(ProbePhase::kEhlo)] >= 0) {
    st->ehlo_done = true;
    st->starttls_offered = o.starttls_offered;
  }
  if (o.cert_not_after > 0) st->cert_not_after = o.cert_not_after;
}

void LogOutcome(const PlannedProbe& p, const ProbeOutcome& o) {
  const SeriesKey& k = p.key;
  const std::string ep = p.spec.endpoint.ToString();
  LogOnChange(o.result == ProbeResult::kOk ? LogLevel::kInfo : LogLevel::kWarn,
              kComponent, "smtp/" + k.direction + "/" + ep,
              o.result == ProbeResult::kOk
                  ? ""
                  : k.direction + " probe " + ep + " " +
                        std::string(ProbeResultName(o.result)) + ": " +
                        o.detail,
              k.direction + " probe " + ep + " ok again");
}

}  // namespace

const std::vector<double>& PhaseBuckets() {
  static const std::vector<double> b = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                        0.5,   1,    2.5,   5,    10,  30};
  return b;
}

void SmtpRoundState::Record(const std::vector<PlannedProbe>& plan,
                            const std::vector<ProbeOutcome>& outcomes,
                            double seconds, bool control_ports) {
  const Port25Evidence p25 = Port25Of(plan, outcomes);
  std::lock_guard<std::mutex> lock(mu);
  std::map<SeriesKey, SeriesState> next;
  for (size_t i = 0; i < plan.size(); ++i) {
    auto it = series.find(plan[i].key);
    SeriesState st = it != series.end() ? std::move(it->second) : SeriesState();
    Observe(outcomes[i], &st);
    next.emplace(plan[i].key, std::move(st));
    LogOutcome(plan[i], outcomes[i]);
  }
  series = std::move(next);  // targets gone from the plan disappear
  port25_known = p25.any && control_ports;
  port25_blocked = p25.blocked && !p25.connected;
  last_run = NowSeconds();
  round_seconds = seconds;
  round_done.notify_all();
}

}  // namespace mailflow::smtp_collector
