// Parsing of `collectors.smtp` options (ParseSmtpOptions) and the TLS
// choices of targets and modules.
#include "collectors/smtp/smtp_options.h"

#include <unistd.h>

#include <algorithm>

namespace mailflow {

namespace {

std::string DefaultEhloName() {
  char buf[256] = {};
  if (gethostname(buf, sizeof(buf) - 1) == 0 && buf[0] != '\0') return buf;
  return "localhost";
}

bool TlsChoiceOf(const std::string& s, TlsChoice* out) {
  if (s == "auto")
    *out = TlsChoice::kAuto;
  else if (s == "starttls")
    *out = TlsChoice::kStartTls;
  else if (s == "implicit")
    *out = TlsChoice::kImplicit;
  else if (s == "none")
    *out = TlsChoice::kNone;
  else
    return false;
  return true;
}

// `tls`: auto (the default), starttls, implicit or none.
bool GetTlsChoice(ConfigMap* m, TlsChoice* out, std::string* err) {
  std::string tls = "auto";
  if (!m->GetString("tls", &tls, err)) return false;
  if (!TlsChoiceOf(tls, out)) {
    *err = m->Where("tls") + ": tls must be auto, starttls, implicit or none";
    return false;
  }
  return true;
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
  using std::chrono::milliseconds;
  using std::chrono::minutes;
  return m->GetDuration("connect_timeout", milliseconds(1), minutes(5),
                        connect_timeout, err) &&
         m->GetDuration("timeout", milliseconds(1), minutes(10), timeout, err);
}

bool ParseModule(ConfigMap m, const SmtpOptions& defaults, SmtpModule* out,
                 std::string* err) {
  SmtpModule mod;
  mod.ehlo_name = defaults.ehlo_name;
  mod.connect_timeout = defaults.connect_timeout;
  mod.timeout = defaults.timeout;
  if (!GetTlsChoice(&m, &mod.tls, err) ||
      !m.GetBool("connect_only", &mod.connect_only, err) ||
      !m.GetString("ehlo_name", &mod.ehlo_name, err) ||
      !GetTimeouts(&m, &mod.connect_timeout, &mod.timeout, err) ||
      !m.Finish(err)) {
    return false;
  }
  *out = std::move(mod);
  return true;
}

}  // namespace

namespace smtp_collector {

TlsMode ModeFor(TlsChoice c, uint16_t port,
                const std::vector<uint16_t>& implicit_ports) {
  switch (c) {
    case TlsChoice::kAuto:
      return std::find(implicit_ports.begin(), implicit_ports.end(), port) !=
                     implicit_ports.end()
                 ? TlsMode::kImplicit
                 : TlsMode::kStartTls;
    case TlsChoice::kStartTls:
      return TlsMode::kStartTls;
    case TlsChoice::kImplicit:
      return TlsMode::kImplicit;
    case TlsChoice::kNone:
      return TlsMode::kNone;
  }
  return TlsMode::kStartTls;
}

}  // namespace smtp_collector

namespace {

// interval, timeouts, concurrency, ehlo_name and tls.
bool ParseProbeSettings(ConfigMap* m, SmtpOptions* o, std::string* err) {
  if (!m->GetDuration("interval", std::chrono::seconds(1),
                      std::chrono::hours(24), &o->interval, err) ||
      !GetTimeouts(m, &o->connect_timeout, &o->timeout, err)) {
    return false;
  }
  int64_t n = o->max_concurrency;
  if (!m->GetInt("max_concurrency", 1, 4096, &n, err)) return false;
  o->max_concurrency = static_cast<int>(n);
  n = o->max_targets;
  if (!m->GetInt("max_targets", 1, 4096, &n, err)) return false;
  o->max_targets = static_cast<int>(n);
  if (!m->GetString("ehlo_name", &o->ehlo_name, err)) return false;
  if (o->ehlo_name.empty() ||
      o->ehlo_name.find_first_of(" \r\n\t") != std::string::npos) {
    *err = m->Where("ehlo_name") + ": ehlo_name must be one word";
    return false;
  }
  return GetTlsChoice(m, &o->tls, err) &&
         GetPortList(m, "tls_implicit_ports", &o->tls_implicit_ports, err);
}

// `relayhost`: off, auto, or Postfix syntax whose hosts are IP literals
// unless `resolvers` can resolve them.
bool CheckRelayhost(const ConfigMap& m, const SmtpOptions& o,
                    std::string* err) {
  if (o.relayhost.empty() || o.relayhost == "auto") return true;
  std::vector<RelayDestination> dests;
  std::string perr;
  if (!ParseRelayhost(o.relayhost, &dests, &perr)) {
    *err = m.Where("relayhost") + ": " + perr;
    return false;
  }
  const bool can_resolve = !o.mx.resolvers.empty();
  for (const auto& d : dests) {
    Endpoint e;
    if (!can_resolve && !ParseIpLiteral(d.host, d.port, &e)) {
      *err = m.Where("relayhost") + ": relayhost \"" + d.host +
             "\" is not an IP address (host names need `resolvers`)";
      return false;
    }
  }
  return true;
}

// The outbound targets: targets, domains (MX through resolvers), relayhost.
bool ParseOutbound(ConfigMap* m, SmtpOptions* o, std::string* err) {
  std::vector<std::string> list;
  if (!m->GetStringList("targets", &list, err)) return false;
  for (const auto& t : list) {
    Endpoint e;
    std::string perr;
    if (!ParseHostPort(t, 0, &e, &perr)) {
      *err = m->Where("targets") + ": target " + perr;
      return false;
    }
    o->targets.push_back(e);
  }
  if (!m->GetStringList("domains", &o->domains, err) ||
      !m->GetStringList("resolvers", &o->mx.resolvers, err)) {
    return false;
  }
  for (const auto& r : o->mx.resolvers) {
    if (!ValidMxResolver(r)) {
      *err = m->Where("resolvers") + ": resolver \"" + r +
             "\" is not ADDRESS or ADDRESS:PORT";
      return false;
    }
  }
  if (!o->domains.empty() && o->mx.resolvers.empty()) {
    *err = m->Where("domains") +
           ": domains need resolvers (the smtp collector never uses "
           "/etc/resolv.conf)";
    return false;
  }
  int64_t n = static_cast<int64_t>(o->mx.hosts_per_domain);
  if (!m->GetInt("mx_hosts_per_domain", 1, 16, &n, err) ||
      !m->GetBool("mx_lookup_aaaa", &o->mx.aaaa, err)) {
    return false;
  }
  o->mx.hosts_per_domain = static_cast<size_t>(n);
  o->mx.timeout = o->connect_timeout;
  return m->GetString("relayhost", &o->relayhost, err) &&
         CheckRelayhost(*m, *o, err);
}

// The inbound side: port25_control_ports, self_probe_addresses (auto or
// IP literals) and self_probe_ports.
bool ParseSelfProbe(ConfigMap* m, SmtpOptions* o, std::string* err) {
  if (!GetPortList(m, "port25_control_ports", &o->port25_control_ports, err)) {
    return false;
  }
  if (m->Has("self_probe_addresses")) {
    std::string s, ignored;
    if (m->GetString("self_probe_addresses", &s, &ignored)) {
      if (s != "auto") {
        *err = m->Where("self_probe_addresses") +
               ": self_probe_addresses must be auto or a list of addresses";
        return false;
      }
      o->self_probe_auto = true;
    } else {
      std::vector<std::string> list;
      if (!m->GetStringList("self_probe_addresses", &list, err)) return false;
      for (const auto& a : list) {
        Endpoint e;
        if (!ParseIpLiteral(a, 25, &e)) {
          *err = m->Where("self_probe_addresses") + ": \"" + a +
                 "\" is not an IP address";
          return false;
        }
        o->self_probe_addresses.push_back(e);
      }
    }
  }
  o->self_probe_ports_set = m->Has("self_probe_ports");
  return GetPortList(m, "self_probe_ports", &o->self_probe_ports, err);
}

// `probe:` (the /probe endpoint): allowed_networks, allowed_ports and the
// modules, "smtp" being the collector's own settings.
bool ParseProbeEndpoint(ConfigMap* m, SmtpOptions* o, std::string* err) {
  ConfigMap probe;
  std::vector<std::string> list;
  if (!m->GetMap("probe", &probe, err) ||
      !probe.GetStringList("allowed_networks", &list, err)) {
    return false;
  }
  for (const auto& a : list) {
    Cidr c;
    std::string perr;
    if (!ParseCidr(a, &c, &perr)) {
      *err = probe.Where("allowed_networks") + ": " + perr;
      return false;
    }
    o->probe_allowed_networks.push_back(c);
  }
  ConfigMap modules;
  if (!GetPortList(&probe, "allowed_ports", &o->probe_allowed_ports, err) ||
      !probe.GetMap("modules", &modules, err)) {
    return false;
  }
  SmtpModule builtin;
  builtin.ehlo_name = o->ehlo_name;
  builtin.connect_timeout = o->connect_timeout;
  builtin.timeout = o->timeout;
  builtin.tls = o->tls;
  o->modules["smtp"] = builtin;
  for (const auto& name : modules.Keys()) {
    ConfigMap mm;
    SmtpModule mod;
    if (!modules.GetMap(name, &mm, err) || !ParseModule(mm, *o, &mod, err)) {
      return false;
    }
    o->modules[name] = mod;
  }
  return modules.Finish(err) && probe.Finish(err);
}

}  // namespace

bool ParseSmtpOptions(const Config& config, ConfigMap m, SmtpOptions* out,
                      std::string* err) {
  SmtpOptions o;
  o.postfix_config_directory = config.paths.postfix_config_directory;
  o.ehlo_name = DefaultEhloName();
  if (!ParseProbeSettings(&m, &o, err) || !ParseOutbound(&m, &o, err) ||
      !ParseSelfProbe(&m, &o, err) || !ParseProbeEndpoint(&m, &o, err) ||
      !m.Finish(err)) {
    return false;
  }
  size_t static_targets = o.targets.size() + o.self_probe_addresses.size() *
                                                 o.self_probe_ports.size();
  if (static_targets > static_cast<size_t>(o.max_targets)) {
    *err = m.Where() + ": " + std::to_string(static_targets) +
           " probe targets exceed max_targets (" +
           std::to_string(o.max_targets) + ")";
    return false;
  }
  *out = std::move(o);
  return true;
}

}  // namespace mailflow
