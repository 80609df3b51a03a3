#include "collectors/smtp/round_planner.h"

#include <algorithm>
#include <map>
#include <string>

#include "lib/base/interfaces.h"
#include "lib/base/log.h"
#include "lib/postfix/listen_addresses.h"

namespace mailflow::smtp_collector {

bool RoundPlanner::HasTargets(const SmtpOptions& o) {
  return !o.targets.empty() || !o.domains.empty() || !o.relayhost.empty() ||
         !o.self_probe_addresses.empty() || o.self_probe_auto;
}

ProbeSpec RoundPlanner::Spec(const Endpoint& ep) const {
  ProbeSpec s;
  s.endpoint = ep;
  s.tls = ModeFor(options_.tls, ep.port, options_.tls_implicit_ports);
  s.ehlo_name = options_.ehlo_name;
  s.connect_timeout = options_.connect_timeout;
  s.timeout = options_.timeout;
  return s;
}

void RoundPlanner::Add(std::vector<PlannedProbe>* plan,
                       std::set<SeriesKey>* seen, const char* direction,
                       ProbeSpec spec) {
  SeriesKey key{direction, spec.endpoint.host, spec.endpoint.port};
  if (!seen->insert(key).second) return;
  if (plan->size() >= static_cast<size_t>(options_.max_targets)) {
    LogOnChange(LogLevel::kWarn, kComponent, "smtp-cap",
                "more probe targets than max_targets (" +
                    std::to_string(options_.max_targets) +
                    "); extra targets are not probed");
    return;
  }
  plan->push_back({std::move(key), std::move(spec)});
}

std::vector<Endpoint> RoundPlanner::RelayhostEndpoints() {
  std::vector<Endpoint> out;
  std::string value = options_.relayhost;
  if (value.empty()) return out;
  if (value == "auto") {
    std::string err;
    auto snapshot = snapshots_->Get(options_.postfix_config_directory, &err);
    if (!snapshot) {
      LogOnChange(LogLevel::kWarn, kComponent, "smtp-relayhost",
                  "relayhost: auto: " + PostfixConfigDependencyError(
                                            options_.postfix_config_directory));
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
    } else if (!options_.mx.resolvers.empty()) {
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
    for (const auto& t : ResolveNames(names, options_.mx, stop_, &problems)) {
      out.push_back(t.endpoint);
    }
    for (const auto& p : problems) {
      problem += (problem.empty() ? "relayhost: " : "; ") + p;
    }
  }
  LogOnChange(LogLevel::kWarn, kComponent, "smtp-relayhost", problem);
  return out;
}

std::vector<Endpoint> RoundPlanner::SelfEndpoints() {
  std::vector<Endpoint> out;
  if (!options_.self_probe_auto) {
    for (const Endpoint& addr : options_.self_probe_addresses) {
      for (uint16_t port : options_.self_probe_ports) {
        Endpoint ep;
        if (ParseIpLiteral(addr.host, port, &ep)) out.push_back(ep);
      }
    }
    return out;
  }
  std::string err;
  auto snapshot = snapshots_->Get(options_.postfix_config_directory, &err);
  std::vector<InterfaceAddress> interfaces;
  if (snapshot && !ListInterfaceAddresses(&interfaces, &err))
    snapshot = nullptr;
  LogOnChange(LogLevel::kWarn, kComponent, "smtp-self-auto",
              snapshot ? "" : "self_probe_addresses: auto: " + err,
              "self_probe_addresses: auto works again");
  if (!snapshot) return out;
  std::vector<std::string> skipped;
  const auto& ports = options_.self_probe_ports;
  for (const auto& a : postfix::ExternalSmtpdAddresses(snapshot->config.main,
                                                       snapshot->inet_services,
                                                       interfaces, &skipped)) {
    Endpoint ep;
    const bool wanted =
        !options_.self_probe_ports_set ||
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

std::vector<PlannedProbe> RoundPlanner::Plan() {
  std::vector<PlannedProbe> plan;
  std::set<SeriesKey> seen;
  std::set<std::string> port25_hosts;
  std::map<std::string, Endpoint> host_ep;
  for (const auto& ep : options_.targets) {
    Add(&plan, &seen, "outbound", Spec(ep));
    if (ep.port == 25) {
      port25_hosts.insert(ep.host);
      host_ep[ep.host] = ep;
    }
  }
  if (!options_.domains.empty()) {
    std::vector<std::string> problems;
    auto mx = ResolveMxTargets(options_.domains, options_.mx, stop_, &problems);
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
    for (uint16_t port : options_.port25_control_ports) {
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

}  // namespace mailflow::smtp_collector
