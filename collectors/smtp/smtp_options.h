// SmtpOptions: `collectors: smtp:` of the config file, with its /probe
// modules.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "config/config.h"
#include "config/config_map.h"
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
  /// Self-probe addresses; `self_probe_auto`: the addresses and ports
  /// Postfix's enabled smtpd services listen on for other hosts
  /// (ExternalSmtpdAddresses), limited to self_probe_ports when those are
  /// given.
  std::vector<Endpoint> self_probe_addresses;
  bool self_probe_auto = false;
  std::vector<uint16_t> self_probe_ports{25, 587, 465};
  bool self_probe_ports_set = false;
  /// /probe: targets must lie in one of these networks and use one of the
  /// ports. Empty networks: every target is denied.
  std::vector<Cidr> probe_allowed_networks;
  std::vector<uint16_t> probe_allowed_ports{25, 465, 587};
  std::map<std::string, SmtpModule> modules;
};

/// Parses `collectors.smtp` options (also used by tests and benchmarks)
/// over the defaults, with the global `config`'s paths. False with `*err`
/// naming file:line:column on a bad or unknown option. Pure apart from
/// gethostname() (the default ehlo_name).
bool ParseSmtpOptions(const Config& config, ConfigMap options, SmtpOptions* out,
                      std::string* err);

namespace smtp_collector {

/// The component of the smtp collector's log lines.
inline constexpr char kComponent[] = "smtp";

/// The TLS mode of a probe to `port` under choice `c` (auto: implicit TLS
/// on `implicit_ports`, STARTTLS elsewhere). Pure.
TlsMode ModeFor(TlsChoice c, uint16_t port,
                const std::vector<uint16_t>& implicit_ports);

}  // namespace smtp_collector
}  // namespace mailflow
