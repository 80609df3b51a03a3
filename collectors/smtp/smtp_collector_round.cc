// SmtpCollector's probe rounds: the targets of a round (Plan) and running
// it (RunRound), including port-25 block detection.
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>

#include <algorithm>

#include "collectors/smtp/smtp_collector_internal.h"
#include "lib/base/log.h"
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

std::vector<Endpoint> SmtpCollector::SelfAddresses() {
  if (!options_->self_probe_auto) return options_->self_probe_addresses;
  std::vector<Endpoint> out;
  ifaddrs* ifs = nullptr;
  if (getifaddrs(&ifs) != 0) {
    LogOnChange(LogLevel::kWarn, kComponent, "smtp-ifaddrs",
                "getifaddrs failed; no self-probe addresses");
    return out;
  }
  for (ifaddrs* i = ifs; i; i = i->ifa_next) {
    if (!i->ifa_addr || (i->ifa_flags & IFF_LOOPBACK)) continue;
    char buf[INET6_ADDRSTRLEN] = {};
    int fam = i->ifa_addr->sa_family;
    if (fam == AF_INET) {
      inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr,
                buf, sizeof(buf));
    } else if (fam == AF_INET6) {
      auto* a6 = &reinterpret_cast<sockaddr_in6*>(i->ifa_addr)->sin6_addr;
      if (IN6_IS_ADDR_LINKLOCAL(a6) || IN6_IS_ADDR_LOOPBACK(a6)) continue;
      inet_ntop(AF_INET6, a6, buf, sizeof(buf));
    } else {
      continue;
    }
    Endpoint e;
    if (ParseIpLiteral(buf, 25, &e)) out.push_back(e);
  }
  freeifaddrs(ifs);
  std::sort(out.begin(), out.end(), [](const Endpoint& a, const Endpoint& b) {
    return a.host < b.host;
  });
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
  for (const auto& addr : SelfAddresses()) {
    for (uint16_t port : options_->self_probe_ports) {
      Endpoint ep;
      ParseIpLiteral(addr.host, port, &ep);
      Add(&plan, &seen, "inbound", Spec(ep));
    }
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
  std::lock_guard<std::mutex> lock(state_mu_);
  std::map<SeriesKey, SeriesState> next;
  for (size_t i = 0; i < plan.size(); ++i) {
    const SeriesKey& k = plan[i].key;
    const ProbeOutcome& o = outcomes[i];
    auto it = series_.find(k);
    SeriesState st =
        it != series_.end() ? std::move(it->second) : SeriesState();
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
  series_ = std::move(next);  // targets gone from the plan disappear
  port25_known_ = any_p25 && !options_->port25_control_ports.empty();
  port25_blocked_ = evidence && !any_p25_connected;
  last_run_ = NowSeconds();
  round_done_.notify_all();
  round_seconds_ = round;
}

}  // namespace smtp_internal
}  // namespace mailflow
