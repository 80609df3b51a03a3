#include "collectors/smtp/smtp_collector.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <prometheus/text_serializer.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>
#include <tuple>

#include "collectors/common/histogram.h"
#include "collectors/common/log.h"
#include "collectors/common/metrics.h"
#include "collectors/postfix/postfix_config.h"

namespace mailflow {

namespace {

constexpr char kComponent[] = "smtp";

const std::vector<double>& PhaseBuckets() {
  static const std::vector<double> b = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                        0.5,   1,    2.5,   5,    10,  30};
  return b;
}

double NowSeconds() {
  return std::chrono::duration<double>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string DefaultEhloName() {
  char buf[256] = {};
  if (gethostname(buf, sizeof(buf) - 1) == 0 && buf[0] != '\0') return buf;
  return "localhost";
}

bool ParseTlsChoice(const std::string& s, TlsChoice* out) {
  if (s == "auto") *out = TlsChoice::kAuto;
  else if (s == "starttls") *out = TlsChoice::kStartTls;
  else if (s == "implicit") *out = TlsChoice::kImplicit;
  else if (s == "none") *out = TlsChoice::kNone;
  else return false;
  return true;
}

TlsMode ModeFor(TlsChoice c, uint16_t port,
                const std::vector<uint16_t>& implicit_ports) {
  switch (c) {
    case TlsChoice::kAuto:
      return std::find(implicit_ports.begin(), implicit_ports.end(), port) !=
                     implicit_ports.end()
                 ? TlsMode::kImplicit
                 : TlsMode::kStartTls;
    case TlsChoice::kStartTls: return TlsMode::kStartTls;
    case TlsChoice::kImplicit: return TlsMode::kImplicit;
    case TlsChoice::kNone: return TlsMode::kNone;
  }
  return TlsMode::kStartTls;
}

bool GetPortList(ConfigMap* m, const char* key, std::vector<uint16_t>* out,
                 std::string* err) {
  if (!m->Has(key)) return true;
  std::vector<int64_t> v;
  if (!m->GetIntList(key, 1, 65535, &v, err)) return false;
  out->clear();
  for (int64_t p : v) out->push_back(static_cast<uint16_t>(p));
  return true;
}

bool GetTimeouts(ConfigMap* m, std::chrono::milliseconds* connect_timeout,
                 std::chrono::milliseconds* timeout, std::string* err) {
  if (!m->GetDuration("connect_timeout", connect_timeout, err) ||
      !m->GetDuration("timeout", timeout, err)) {
    return false;
  }
  if (timeout->count() <= 0 || connect_timeout->count() <= 0) {
    *err = m->Where(timeout->count() <= 0 ? "timeout" : "connect_timeout") +
           ": timeouts must be positive";
    return false;
  }
  return true;
}

bool ParseModule(ConfigMap m, const SmtpOptions& defaults, SmtpModule* out,
                 std::string* err) {
  SmtpModule mod;
  mod.ehlo_name = defaults.ehlo_name;
  mod.connect_timeout = defaults.connect_timeout;
  mod.timeout = defaults.timeout;
  std::string tls = "auto";
  if (!m.GetString("tls", &tls, err)) return false;
  if (!ParseTlsChoice(tls, &mod.tls)) {
    *err = m.Where("tls") + ": tls must be auto, starttls, implicit or none";
    return false;
  }
  if (!m.GetBool("connect_only", &mod.connect_only, err) ||
      !m.GetString("ehlo_name", &mod.ehlo_name, err) ||
      !GetTimeouts(&m, &mod.connect_timeout, &mod.timeout, err) ||
      !m.Finish(err)) {
    return false;
  }
  *out = std::move(mod);
  return true;
}

}  // namespace

bool ParseSmtpOptions(const Config& config, ConfigMap m, SmtpOptions* out,
                      std::string* err) {
  SmtpOptions o;
  o.postfix_config_directory = config.paths.postfix_config_directory;
  o.ehlo_name = DefaultEhloName();
  if (!m.GetDuration("interval", &o.interval, err) ||
      !GetTimeouts(&m, &o.connect_timeout, &o.timeout, err)) {
    return false;
  }
  if (o.interval.count() < 1000) {
    *err = m.Where("interval") + ": interval must be at least 1s";
    return false;
  }
  int64_t n = o.max_concurrency;
  if (!m.GetInt("max_concurrency", 1, 4096, &n, err)) return false;
  o.max_concurrency = static_cast<int>(n);
  n = o.max_targets;
  if (!m.GetInt("max_targets", 1, 4096, &n, err)) return false;
  o.max_targets = static_cast<int>(n);
  if (!m.GetString("ehlo_name", &o.ehlo_name, err)) return false;
  if (o.ehlo_name.empty() ||
      o.ehlo_name.find_first_of(" \r\n\t") != std::string::npos) {
    *err = m.Where("ehlo_name") + ": ehlo_name must be one word";
    return false;
  }
  std::string tls = "auto";
  if (!m.GetString("tls", &tls, err)) return false;
  if (!ParseTlsChoice(tls, &o.tls)) {
    *err = m.Where("tls") + ": tls must be auto, starttls, implicit or none";
    return false;
  }
  if (!GetPortList(&m, "tls_implicit_ports", &o.tls_implicit_ports, err)) {
    return false;
  }
  std::vector<std::string> list;
  if (!m.GetStringList("targets", &list, err)) return false;
  for (const auto& t : list) {
    Endpoint e;
    std::string perr;
    if (!ParseHostPort(t, 0, &e, &perr)) {
      *err = m.Where("targets") + ": target " + perr;
      return false;
    }
    o.targets.push_back(e);
  }
  if (!m.GetStringList("domains", &o.domains, err) ||
      !m.GetStringList("resolvers", &o.mx.resolvers, err)) {
    return false;
  }
  for (const auto& r : o.mx.resolvers) {
    if (MxResolutionAvailable() && !ValidMxResolver(r)) {
      *err = m.Where("resolvers") + ": resolver \"" + r +
             "\" is not ADDRESS or ADDRESS:PORT";
      return false;
    }
  }
  if (!o.domains.empty() && !MxResolutionAvailable()) {
    *err = m.Where("domains") +
           ": MX targets need the dns collector compiled in "
           "(MAILFLOW_COLLECTORS)";
    return false;
  }
  if (!o.domains.empty() && o.mx.resolvers.empty()) {
    *err = m.Where("domains") +
           ": domains need resolvers (the smtp collector never uses "
           "/etc/resolv.conf)";
    return false;
  }
  n = static_cast<int64_t>(o.mx.hosts_per_domain);
  if (!m.GetInt("mx_hosts_per_domain", 1, 16, &n, err) ||
      !m.GetBool("mx_lookup_aaaa", &o.mx.aaaa, err)) {
    return false;
  }
  o.mx.hosts_per_domain = static_cast<size_t>(n);
  o.mx.timeout = o.connect_timeout;
  if (!m.GetString("relayhost", &o.relayhost, err)) return false;
  if (!o.relayhost.empty() && o.relayhost != "auto") {
    std::vector<RelayDestination> dests;
    std::string perr;
    if (!ParseRelayhost(o.relayhost, &dests, &perr)) {
      *err = m.Where("relayhost") + ": " + perr;
      return false;
    }
    const bool can_resolve =
        MxResolutionAvailable() && !o.mx.resolvers.empty();
    for (const auto& d : dests) {
      Endpoint e;
      if (!can_resolve && !ParseIpLiteral(d.host, d.port, &e)) {
        *err = m.Where("relayhost") + ": relayhost \"" + d.host +
               "\" is not an IP address (host names need `resolvers`)";
        return false;
      }
    }
  }
  if (!GetPortList(&m, "port25_control_ports", &o.port25_control_ports, err)) {
    return false;
  }
  if (m.Has("self_probe_addresses")) {
    std::string s, ignored;
    if (m.GetString("self_probe_addresses", &s, &ignored)) {
      if (s != "auto") {
        *err = m.Where("self_probe_addresses") +
               ": self_probe_addresses must be auto or a list of addresses";
        return false;
      }
      o.self_probe_auto = true;
    } else {
      if (!m.GetStringList("self_probe_addresses", &list, err)) return false;
      for (const auto& a : list) {
        Endpoint e;
        if (!ParseIpLiteral(a, 25, &e)) {
          *err = m.Where("self_probe_addresses") + ": \"" + a +
                 "\" is not an IP address";
          return false;
        }
        o.self_probe_addresses.push_back(e);
      }
    }
  }
  if (!GetPortList(&m, "self_probe_ports", &o.self_probe_ports, err)) {
    return false;
  }
  ConfigMap probe;
  if (!m.GetMap("probe", &probe, err)) return false;
  if (!probe.GetStringList("allowed_networks", &list, err)) return false;
  if (probe.Has("allowed_networks")) {
    for (const auto& a : list) {
      Cidr c;
      std::string perr;
      if (!ParseCidr(a, &c, &perr)) {
        *err = probe.Where("allowed_networks") + ": " + perr;
        return false;
      }
      o.probe_allowed_networks.push_back(c);
    }
  }
  if (!GetPortList(&probe, "allowed_ports", &o.probe_allowed_ports, err)) {
    return false;
  }
  ConfigMap modules;
  if (!probe.GetMap("modules", &modules, err)) return false;
  SmtpModule builtin;
  builtin.ehlo_name = o.ehlo_name;
  builtin.connect_timeout = o.connect_timeout;
  builtin.timeout = o.timeout;
  builtin.tls = o.tls;
  o.modules["smtp"] = builtin;
  for (const auto& name : modules.Keys()) {
    ConfigMap mm;
    SmtpModule mod;
    if (!modules.GetMap(name, &mm, err) || !ParseModule(mm, o, &mod, err)) {
      return false;
    }
    o.modules[name] = mod;
  }
  if (!modules.Finish(err) || !probe.Finish(err) || !m.Finish(err)) {
    return false;
  }
  size_t static_targets =
      o.targets.size() +
      o.self_probe_addresses.size() * o.self_probe_ports.size();
  if (static_targets > static_cast<size_t>(o.max_targets)) {
    *err = m.Where() + ": " + std::to_string(static_targets) +
           " probe targets exceed max_targets (" +
           std::to_string(o.max_targets) + ")";
    return false;
  }
  *out = std::move(o);
  return true;
}

// --- /probe ------------------------------------------------------------

namespace {

std::string FormatProbeMetrics(const ProbeOutcome& o, double seconds,
                               bool ran) {
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
      b.Add({{"phase", std::string(ProbePhaseName(
                           static_cast<ProbePhase>(i)))}},
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
  return prometheus::TextSerializer().Serialize(f);
}

ProbeResponse TextResponse(int status, std::string body) {
  ProbeResponse r;
  r.http_status = status;
  r.content_type = "text/plain; charset=utf-8";
  r.body = std::move(body);
  return r;
}

}  // namespace

ProbeResponse SmtpProbeHandler::Probe(const ProbeRequest& req) {
  const std::string module = req.module.empty() ? "smtp" : req.module;
  auto mit = options_->modules.find(module);
  if (mit == options_->modules.end()) {
    return TextResponse(400, "Unknown module \"" + module + "\"\n");
  }
  if (req.target.empty()) {
    return TextResponse(400, "Target parameter is missing\n");
  }
  Endpoint ep;
  std::string perr;
  if (!ParseHostPort(req.target, 0, &ep, &perr)) {
    return TextResponse(400, "Invalid target " + perr + "\n");
  }
  bool net_ok = std::any_of(
      options_->probe_allowed_networks.begin(),
      options_->probe_allowed_networks.end(),
      [&](const Cidr& c) { return CidrContains(c, ep); });
  bool port_ok = std::find(options_->probe_allowed_ports.begin(),
                           options_->probe_allowed_ports.end(),
                           ep.port) != options_->probe_allowed_ports.end();
  if (!net_ok || !port_ok) {
    LogOnChange(LogLevel::kInfo, kComponent, "probe-denied",
                "probe target denied by the allowlist: " + ep.ToString());
    return TextResponse(403, "Target " + ep.ToString() +
                                 " is not allowed by "
                                 "collectors.smtp.probe.allowed_networks/"
                                 "allowed_ports\n");
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
  double secs = std::chrono::duration<double>(
                    std::chrono::steady_clock::now() - start)
                    .count();
  Log(LogLevel::kDebug, kComponent,
      "probe " + ep.ToString() + " module=" + module + " result=" +
          std::string(ProbeResultName(outcome.result)) +
          (outcome.detail.empty() ? "" : " detail=" + LogQuote(outcome.detail)));
  ProbeResponse resp;
  resp.body = FormatProbeMetrics(outcome, secs, ran);
  return resp;
}

// --- the collector ------------------------------------------------------

namespace {

struct SeriesKey {
  std::string direction;
  std::string target;
  uint16_t port = 0;
  bool operator<(const SeriesKey& o) const {
    return std::tie(direction, target, port) <
           std::tie(o.direction, o.target, o.port);
  }
};

struct SeriesState {
  uint64_t results[kNumProbeResults] = {};
  std::vector<CumulativeHistogram> phases;
  bool probed = false;
  ProbeResult last = ProbeResult::kOk;
  bool ehlo_done = false;
  bool starttls_offered = false;
  double cert_not_after = 0;
  SeriesState() {
    for (int i = 0; i < kNumProbePhases; ++i) phases.emplace_back(PhaseBuckets());
  }
};

struct PlannedProbe {
  SeriesKey key;
  ProbeSpec spec;
};

class SmtpCollector : public Collector {
 public:
  explicit SmtpCollector(SmtpOptions options)
      : options_(std::make_shared<const SmtpOptions>(std::move(options))) {}

  ~SmtpCollector() override {
    ProbeRegistry::Global().RemoveOwner(this);
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    stop_flag_ = true;
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  std::string_view Name() const override { return "smtp"; }

  void Start() override {
    auto handler = std::make_shared<SmtpProbeHandler>(options_);
    for (const auto& [name, mod] : options_->modules) {
      ProbeRegistry::Global().Set(name, handler, this);
    }
    if (!HasBackgroundTargets()) return;  // nothing configured: no traffic
    thread_ = std::thread([this] { Loop(); });
  }

  Status Collect(Deadline, std::vector<prometheus::MetricFamily>* out) override {
    std::lock_guard<std::mutex> lock(state_mu_);
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
    FamilyBuilder dur(out, "mailflow_smtp_probe_duration_seconds",
                      "Duration of SMTP probe phases (connect, banner, ehlo, "
                      "starttls) of background probes.",
                      prometheus::MetricType::Histogram);
    FamilyBuilder starttls(out, "mailflow_smtp_starttls_offered",
                           "Whether the target's EHLO reply advertised "
                           "STARTTLS in the last probe that reached EHLO.",
                           prometheus::MetricType::Gauge);
    FamilyBuilder cert(out, "mailflow_smtp_tls_certificate_expiry_timestamp_seconds",
                       "notAfter of the target's TLS certificate seen by the "
                       "last successful handshake, Unix seconds.",
                       prometheus::MetricType::Gauge);
    std::map<std::string, int> per_direction;
    for (const auto& [key, st] : series_) {
      Labels base = {{"direction", key.direction},
                     {"port", std::to_string(key.port)},
                     {"target", key.target}};
      ++per_direction[key.direction];
      for (int i = 0; i < kNumProbeResults; ++i) {
        Labels l = base;
        l.emplace_back("result",
                       std::string(ProbeResultName(static_cast<ProbeResult>(i))));
        total.Add(l, static_cast<double>(st.results[i]));
        if (st.probed) last.Add(l, st.last == static_cast<ProbeResult>(i) ? 1 : 0);
      }
      if (st.probed) success.Add(base, st.last == ProbeResult::kOk ? 1 : 0);
      for (int i = 0; i < kNumProbePhases; ++i) {
        if (key.direction == "control" && i != 0) continue;
        Labels l = base;
        l.emplace_back("phase",
                       std::string(ProbePhaseName(static_cast<ProbePhase>(i))));
        dur.AddHistogram(l, st.phases[i]);
      }
      if (st.ehlo_done) starttls.Add(base, st.starttls_offered ? 1 : 0);
      if (st.cert_not_after > 0) cert.Add(base, st.cert_not_after);
    }
    FamilyBuilder targets(out, "mailflow_smtp_targets",
                          "Targets probed in the last round, by direction.",
                          prometheus::MetricType::Gauge);
    for (const char* d : {"outbound", "relayhost", "control", "inbound"}) {
      targets.Add({{"direction", d}}, per_direction[d]);
    }
    if (port25_known_) {
      AddGauge(out, "mailflow_smtp_outbound_port25_blocked",
               "1 when port 25 to the outbound targets timed out in the last "
               "round while a control port on the same hosts connected "
               "(provider block).",
               port25_blocked_ ? 1 : 0);
    }
    if (last_run_ > 0) {
      AddGauge(out, "mailflow_smtp_last_run_timestamp_seconds",
               "When the last probe round finished, Unix seconds.", last_run_);
      AddGauge(out, "mailflow_smtp_round_duration_seconds",
               "How long the last probe round took.", round_seconds_);
    }
    return Status::OK();
  }

 private:
  bool HasBackgroundTargets() const {
    return !options_->targets.empty() || !options_->domains.empty() ||
           !options_->relayhost.empty() ||
           !options_->self_probe_addresses.empty() || options_->self_probe_auto;
  }

  ProbeSpec Spec(const Endpoint& ep) const {
    ProbeSpec s;
    s.endpoint = ep;
    s.tls = ModeFor(options_->tls, ep.port, options_->tls_implicit_ports);
    s.ehlo_name = options_->ehlo_name;
    s.connect_timeout = options_->connect_timeout;
    s.timeout = options_->timeout;
    return s;
  }

  void Add(std::vector<PlannedProbe>* plan, std::set<SeriesKey>* seen,
           const char* direction, ProbeSpec spec) {
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

  std::vector<Endpoint> RelayhostEndpoints() {
    std::vector<Endpoint> out;
    std::string value = options_->relayhost;
    if (value.empty()) return out;
    if (value == "auto") {
      PostfixConfig pf;
      std::string err;
      if (!LoadPostfixConfig(options_->postfix_config_directory, &pf, &err)) {
        LogOnChange(LogLevel::kWarn, kComponent, "smtp-relayhost",
                    "relayhost: auto: " + err);
        return out;
      }
      value = pf.main.Get("relayhost");
    }
    std::vector<RelayDestination> dests;
    std::string err, problem;
    if (!ParseRelayhost(value, &dests, &err)) problem = err;
    std::vector<NameQuery> names;
    for (const auto& d : dests) {
      Endpoint e;
      if (ParseIpLiteral(d.host, d.port, &e)) {
        out.push_back(e);
      } else if (MxResolutionAvailable() && !options_->mx.resolvers.empty()) {
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
      for (const auto& t : ResolveNames(names, options_->mx, &stop_flag_,
                                        &problems)) {
        out.push_back(t.endpoint);
      }
      for (const auto& p : problems) {
        problem += (problem.empty() ? "relayhost: " : "; ") + p;
      }
    }
    LogOnChange(LogLevel::kWarn, kComponent, "smtp-relayhost", problem);
    return out;
  }

  std::vector<Endpoint> SelfAddresses() {
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

  std::vector<PlannedProbe> Plan() {
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

  void RunRound() {
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
      SeriesState st = it != series_.end() ? std::move(it->second) : SeriesState();
      ++st.results[static_cast<int>(o.result)];
      st.probed = true;
      st.last = o.result;
      for (int p = 0; p < kNumProbePhases; ++p) {
        if (o.phase_seconds[p] >= 0) st.phases[p].Observe(o.phase_seconds[p]);
      }
      if (o.phase_seconds[static_cast<int>(ProbePhase::kEhlo)] >= 0) {
        st.ehlo_done = true;
        st.starttls_offered = o.starttls_offered;
      }
      if (o.cert_not_after > 0) st.cert_not_after = o.cert_not_after;
      next.emplace(k, std::move(st));
      LogOnChange(o.result == ProbeResult::kOk ? LogLevel::kInfo
                                               : LogLevel::kWarn,
                  kComponent,
                  "smtp/" + k.direction + "/" + plan[i].spec.endpoint.ToString(),
                  o.result == ProbeResult::kOk
                      ? ""
                      : k.direction + " probe " +
                            plan[i].spec.endpoint.ToString() + " " +
                            std::string(ProbeResultName(o.result)) + ": " +
                            o.detail,
                  k.direction + " probe " + plan[i].spec.endpoint.ToString() +
                      " ok again");
    }
    series_ = std::move(next);  // targets gone from the plan disappear
    port25_known_ = any_p25 && !options_->port25_control_ports.empty();
    port25_blocked_ = evidence && !any_p25_connected;
    last_run_ = NowSeconds();
    round_seconds_ = round;
  }

  void Loop() {
    auto next = std::chrono::steady_clock::now();
    while (true) {
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait_until(lock, next, [this] { return stop_; });
        if (stop_) return;
      }
      next += options_->interval;
      RunRound();
      auto now = std::chrono::steady_clock::now();
      if (next < now) next = now;  // a slow round does not cause a burst
    }
  }

  std::shared_ptr<const SmtpOptions> options_;

  std::mutex mu_;  // guards stop_
  std::condition_variable cv_;
  bool stop_ = false;
  std::atomic<bool> stop_flag_{false};
  std::thread thread_;

  std::mutex state_mu_;  // guards everything below
  std::map<SeriesKey, SeriesState> series_;
  bool port25_known_ = false;
  bool port25_blocked_ = false;
  double last_run_ = 0;
  double round_seconds_ = 0;
};

}  // namespace

std::unique_ptr<Collector> NewSmtpCollector(SmtpOptions options) {
  return std::make_unique<SmtpCollector>(std::move(options));
}

void RegisterSmtpCollector(CollectorRegistry* registry) {
  registry->Add(CollectorInfo{
      "smtp", true,
      "Outbound and inbound SMTP reachability probes (only for configured "
      "targets) and the /probe endpoint.",
      [](const Config& config, ConfigMap options,
         std::string* err) -> std::unique_ptr<Collector> {
        SmtpOptions o;
        if (!ParseSmtpOptions(config, std::move(options), &o, err)) {
          return nullptr;
        }
        return NewSmtpCollector(std::move(o));
      }});
}

}  // namespace mailflow
