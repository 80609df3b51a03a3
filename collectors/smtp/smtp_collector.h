// The smtp collector: can this host deliver out on port 25, can the world
// reach its SMTP services, and if not, why (refused, silent drop, no route,
// no greeting, rejected greeting, TLS). Probes run in a background thread;
// a scrape reads the last results. Also serves /probe modules.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "collectors/common/probe.h"
#include "collectors/registry.h"
#include "lib/smtp/smtp_address.h"
#include "lib/smtp/smtp_mx.h"
#include "lib/smtp/smtp_prober.h"

namespace mailflow {

/// TLS choice of a probe: auto = implicit TLS on `tls_implicit_ports`
/// (465), STARTTLS (when offered) elsewhere.
enum class TlsChoice { kAuto, kStartTls, kImplicit, kNone };

/// A /probe module (`collectors.smtp.probe.modules.NAME`).
struct SmtpModule {
  TlsChoice tls = TlsChoice::kAuto;
  bool connect_only = false;
  std::string ehlo_name;
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds timeout{10000};
};

struct SmtpOptions {
  std::chrono::milliseconds interval{60000};
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds timeout{10000};
  int max_concurrency = 128;
  /// Most probe targets per round (label cap); auto-discovered self-probe
  /// addresses beyond it are dropped (logged).
  int max_targets = 256;
  std::string ehlo_name;  // default: this host's name
  TlsChoice tls = TlsChoice::kAuto;
  std::vector<uint16_t> tls_implicit_ports{465};
  /// Explicit outbound targets (IP literals with ports).
  std::vector<Endpoint> targets;
  /// MX hosts of these domains are outbound targets (port 25), resolved
  /// through `mx.resolvers` only.
  std::vector<std::string> domains;
  MxResolveOptions mx;
  /// Relayhost: empty (off), "auto" (main.cf's relayhost), or a value in
  /// Postfix relayhost syntax with IP literals.
  std::string relayhost;
  std::string postfix_config_directory = "/etc/postfix";
  /// Control ports for port-25 block detection (empty: off).
  std::vector<uint16_t> port25_control_ports{587};
  /// Self-probe addresses; `self_probe_auto` discovers interface addresses.
  std::vector<Endpoint> self_probe_addresses;
  bool self_probe_auto = false;
  std::vector<uint16_t> self_probe_ports{25, 587, 465};
  /// /probe: targets must lie in one of these networks and use one of the
  /// ports. Empty networks: every target is denied.
  std::vector<Cidr> probe_allowed_networks;
  std::vector<uint16_t> probe_allowed_ports{25, 465, 587};
  std::map<std::string, SmtpModule> modules;
};

/// Parses `collectors.smtp` options (also used by tests and benchmarks).
bool ParseSmtpOptions(const Config& config, ConfigMap options, SmtpOptions* out,
                      std::string* err);

/// The /probe handler of one configuration (shared by all its modules).
/// Thread-safe and independent of the collector's lifetime.
class SmtpProbeHandler : public ProbeHandler {
 public:
  explicit SmtpProbeHandler(std::shared_ptr<const SmtpOptions> options)
      : options_(std::move(options)) {}
  ProbeResponse Probe(const ProbeRequest& request) override;

 private:
  std::shared_ptr<const SmtpOptions> options_;
};

/// Creates the collector (no threads, no traffic until Start()).
/// `probes` (never null) receives the /probe modules in Start().
/// Keeps the context's /probe registry (modules registered in Start()) and
/// Postfix snapshot cache (for `relayhost: auto`).
std::unique_ptr<Collector> NewSmtpCollector(SmtpOptions options,
                                            const CollectorContext& context);

void RegisterSmtpCollector(CollectorRegistry* registry);

}  // namespace mailflow
