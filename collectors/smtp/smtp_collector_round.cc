// SmtpCollector's probe rounds: the targets of a round (Plan) and running
// it (RunRound), including port-25 block detection.
#include <algorithm>

#include "collectors/smtp/smtp_collector_internal.h"
#include "lib/base/interfaces.h"
#include "lib/base/log.h"
#include "lib/postfix/listen_addresses.h"
#include "lib/postfix/postfix_snapshot.h"

namespace mailflow {
namespace smtp_internal {

namespace {

double NowSeconds() {
  return std::chrono::duration<double>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

bool SmtpCollector::HasBackgroundTargets() const {
  return !options_->targets.empty() || !options_->domains.empty() ||
         !options_->relayhost.empty() ||
         !options_->self_probe_addresses.empty() || options_->self_probe_auto;
}

ProbeSpec SmtpCollector::Spec(const Endpoint& ep) const {
  ProbeSpec s;
  s.endpoint = ep;
  s.tls = ModeFor(options_->tls, ep.port, options_->tls_implicit_ports);
  s.ehlo_name = options_->ehlo_name;
  s.connect_timeout = options_->connect_timeout;
  s.timeout = options_->timeout;
  return s;
}

void SmtpCollector::Add(std::vector<PlannedProbe>* plan,
                        std::set<SeriesKey>* seen, const char* direction,
                        ProbeSpec spec) {
  SeriesKey key{direction, spec.endpoint.host, spec.endpoint.port};
  if (!seen->insert(key).second) return;
  if (plan->size() >= static_cast<size_t>(options_->max_targets)) {
    LogOnChange(LogLevel::kWarn, kComponent, "smtp-cap",
                "more probe targets than max_targets (" +
                    std::to_string(options_->max_targets) +
                    "); extra targets are not probed");
    return;
  }
  plan->push_back({std::move(key), std::move(spec)});
}

std::vector<Endpoint> SmtpCollector::RelayhostEndpoints() {
  std::vector<Endpoint> out;
  std::string value = options_->relayhost;
  if (value.empty()) return out;
  if (value == "auto") {
    std::string err;
    auto snapshot = snapshots_->Get(options_->postfix_config_directory, &err);
    if (!snapshot) {
      LogOnChange(
          LogLevel::kWarn, kComponent, "smtp-relayhost",
          "relayhost: auto: " +
              PostfixConfigDependencyError(options_->postfix_config_directory));
      return out;
    }
    value = snapshot->config.main.Get("relayhost");
  }
  std::vector<RelayDestination> dests;
  std::string err, problem;
  if (!ParseRelayhost(value, &dests, &err)) problem = err;
  std::vector<NameQuery> names;
  for (const auto& d : dests) {
    Endpoint e;
    if (ParseIpLiteral(d.host, d.port, &e)) {
      out.push_back(e);
    } else if (!options_->mx.resolvers.empty()) {
      // Postfix: [host] -> A/AAAA only; host -> MX lookup first.
      names.push_back({d.host, !d.bracketed, d.port});
    } else {
      problem = "relayhost \"" + d.host +
                "\" is a host name and no resolvers are configured, so it "
                "is not probed";
    }
  }
  if (!names.empty()) {
    std::vector<std::string> problems;
    for (const auto& t :
         ResolveNames(names, options_->mx, &stop_flag_, &problems)) {
      out.push_back(t.endpoint);
    }
    for (const auto& p : problems) {
      problem += (problem.empty() ? "relayhost: " : "; ") + p;
    }
  }
  LogOnChange(LogLevel::kWarn, kComponent, "smtp-relayhost", problem);
  return out;
}

std::vector<Endpoint> SmtpCollector::SelfEndpoints() {
  std::vector<Endpoint> out;
  if (!options_->self_probe_auto) {
    for (const Endpoint& addr : options_->self_probe_addresses) {
      for (uint16_t port : options_->self_probe_ports) {
        Endpoint ep;
        if (ParseIpLiteral(addr.host, port, &ep)) out.push_back(ep);
      }
    }
    return out;
  }
  std::string err;
  auto snapshot = snapshots_->Get(options_->postfix_config_directory, &err);
  std::vector<InterfaceAddress> interfaces;
  if (snapshot && !ListInterfaceAddresses(&interfaces, &err))
    snapshot = nullptr;
  LogOnChange(LogLevel::kWarn, kComponent, "smtp-self-auto",
              snapshot ? "" : "self_probe_addresses: auto: " + err,
              "self_probe_addresses: auto works again");
  if (!snapshot) return out;
  std::vector<std::string> skipped;
  const auto& ports = options_->self_probe_ports;
  for (const auto& a : postfix::ExternalSmtpdAddresses(snapshot->config.main,
                                                       snapshot->inet_services,
                                                       interfaces, &skipped)) {
    Endpoint ep;
    const bool wanted =
        !options_->self_probe_ports_set ||
        std::find(ports.begin(), ports.end(), a.port) != ports.end();
    if (wanted && a.port < 65536 && ParseIpLiteral(a.address, a.port, &ep)) {
      out.push_back(ep);
    }
  }
  std::string names;
  for (const auto& s : skipped) names += (names.empty() ? "" : ", ") + s;
  LogOnChange(LogLevel::kInfo, kComponent, "smtp-self-skipped",
              names.empty() ? ""
                            : "self_probe_addresses: auto: host names are "
                              "not resolved, not probed: " +
                                  names);
  return out;
}

std::vector<PlannedProbe> SmtpCollector::Plan() {
  std::vector<PlannedProbe> plan;
  std::set<SeriesKey> seen;
  std::set<std::string> port25_hosts;
  std::map<std::string, Endpoint> host_ep;
  for (const auto& ep : options_->targets) {
    Add(&plan, &seen, "outbound", Spec(ep));
    if (ep.port == 25) {
      port25_hosts.insert(ep.host);
      host_ep[ep.host] = ep;
    }
  }
  if (!options_->domains.empty()) {
    std::vector<std::string> problems;
    auto mx = ResolveMxTargets(options_->domains, options_->mx, &stop_flag_,
                               &problems);
    std::string joined;
    for (const auto& p : problems) joined += (joined.empty() ? "" : "; ") + p;
    LogOnChange(LogLevel::kWarn, kComponent, "smtp-mx",
                joined.empty() ? "" : "MX targets: " + joined,
                "MX targets resolve again");
    for (const auto& t : mx) {
      Add(&plan, &seen, "outbound", Spec(t.endpoint));
      port25_hosts.insert(t.endpoint.host);
    }
  }
  for (const auto& ep : RelayhostEndpoints()) {
    Add(&plan, &seen, "relayhost", Spec(ep));
    if (ep.port == 25) {
      port25_hosts.insert(ep.host);
      host_ep[ep.host] = ep;
    }
  }
  for (const auto& host : port25_hosts) {
    for (uint16_t port : options_->port25_control_ports) {
      Endpoint ep;
      ParseIpLiteral(host, port, &ep);
      ProbeSpec s = Spec(ep);
      s.connect_only = true;
      Add(&plan, &seen, "control", s);
    }
  }
  for (const Endpoint& ep : SelfEndpoints()) {
    Add(&plan, &seen, "inbound", Spec(ep));
  }
  return plan;
}

void SmtpCollector::RunRound() {
  auto start = std::chrono::steady_clock::now();
  std::vector<PlannedProbe> plan = Plan();
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
  // Port-25 block: some host's port 25 timed out while its control port
  // connected, and no port-25 target connected at all.
  std::map<std::string, bool> p25_timeout, control_ok;
  bool any_p25 = false, any_p25_connected = false;
  for (size_t i = 0; i < plan.size(); ++i) {
    const SeriesKey& k = plan[i].key;
    const ProbeOutcome& o = outcomes[i];
    if (k.direction == "control") {
      if (o.result == ProbeResult::kOk) control_ok[k.target] = true;
    } else if ((k.direction == "outbound" || k.direction == "relayhost") &&
               k.port == 25) {
      any_p25 = true;
      if (o.connected) any_p25_connected = true;
      if (o.result == ProbeResult::kTimeout) p25_timeout[k.target] = true;
    }
  }
  bool evidence = false;
  for (const auto& [host, t] : p25_timeout) {
    if (t && control_ok.count(host)) evidence = true;
  }
  SmtpRoundState& state = *state_;
  std::lock_guard<std::mutex> lock(state.mu);
  std::map<SeriesKey, SeriesState> next;
  for (size_t i = 0; i < plan.size(); ++i) {
    const SeriesKey& k = plan[i].key;
    const ProbeOutcome& o = outcomes[i];
    auto it = state.series.find(k);
    SeriesState st =
        it != state.series.end() ? std::move(it->second) : SeriesState();
    ++st.results[static_cast<int>(o.result)];
    st.probed = true;
    st.last = o.result;
    st.detail = o.detail.substr(0, 300);
    for (int p = 0; p < kNumProbePhases; ++p) {
      if (o.phase_seconds[p] >= 0) st.phases[p].Observe(o.phase_seconds[p]);
    }
    if (o.phase_seconds[static_cast<int>(ProbePhase::kEhlo)] >= 0) {
      st.ehlo_done = true;
      st.starttls_offered = o.starttls_offered;
    }
    if (o.cert_not_after > 0) st.cert_not_after = o.cert_not_after;
    next.emplace(k, std::move(st));
    LogOnChange(
        o.result == ProbeResult::kOk ? LogLevel::kInfo : LogLevel::kWarn,
        kComponent,
        "smtp/" + k.direction + "/" + plan[i].spec.endpoint.ToString(),
        o.result == ProbeResult::kOk
            ? ""
            : k.direction + " probe " + plan[i].spec.endpoint.ToString() + " " +
                  std::string(ProbeResultName(o.result)) + ": " + o.detail,
        k.direction + " probe " + plan[i].spec.endpoint.ToString() +
            " ok again");
  }
  state.series = std::move(next);  // targets gone from the plan disappear
  state.port25_known = any_p25 && !options_->port25_control_ports.empty();
  state.port25_blocked = evidence && !any_p25_connected;
  state.last_run = NowSeconds();
  state.round_seconds = round;
  state.round_done.notify_all();
}

}  // namespace smtp_internal
}  // namespace mailflow
