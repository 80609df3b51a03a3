// The configuration of the firewall managers (ufw, firewalld): whether their
// own saved configuration lets a port in. Pure: file contents in, verdicts
// out. Reported beside the kernel's verdict, which stays the ground truth.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "lib/firewall/verdict.h"

namespace mailflow::firewall {

/// ufw: /etc/ufw/ufw.conf, /etc/default/ufw and /etc/ufw/user.rules +
/// user6.rules (the `### tuple ###` lines ufw writes for each rule).
struct UfwConfig {
  bool enabled = false;                    // ufw.conf ENABLED=yes
  Verdict default_input = Verdict::kDrop;  // DEFAULT_INPUT_POLICY
  struct Rule {
    std::string action;  // allow, deny, reject, limit
    std::string proto;   // tcp, udp, any
    std::string dports;  // "25", "25,587", "1000:2000", "any"
    std::string src;     // 0.0.0.0/0, ::/0 or an address
    std::string iface;   // "" or the in-interface
  };
  std::vector<Rule> rules;  // in file order (user.rules, then user6.rules)
};

/// Parses the three files (any may be empty when missing).
void ParseUfwConfig(std::string_view ufw_conf, std::string_view default_ufw,
                    std::string_view user_rules, std::string_view user6_rules,
                    UfwConfig* out);

/// What ufw's configuration says about inbound TCP to `port`: the first
/// matching rule (allow -> accept, deny -> drop, reject -> reject, limit ->
/// conditional/rate_limit; a source or interface restriction ->
/// conditional), else the default input policy.
Outcome UfwVerdict(const UfwConfig& c, int port);

/// A minimal view of firewalld's XML files.
struct FirewalldZone {
  std::string target;  // default, ACCEPT, DROP, REJECT, %%REJECT%%
  std::vector<std::string> services;
  std::vector<std::pair<std::string, std::string>> ports;  // (port, proto)
  bool has_bindings = false;  // <interface> or <source> elements
  struct RichRule {
    bool has_source = false;
    std::vector<std::string> services;
    std::vector<std::pair<std::string, std::string>> ports;
    std::string action;  // accept, drop, reject, "" (log/audit only)
    bool limited = false;
  };
  std::vector<RichRule> rules;
};

/// Parses a zone file (<zone>...</zone>). Returns false on text that has no
/// <zone> element.
bool ParseFirewalldZone(std::string_view xml, FirewalldZone* out);
/// Parses a service file: its TCP/UDP ports as (port or range, proto).
bool ParseFirewalldService(
    std::string_view xml,
    std::vector<std::pair<std::string, std::string>>* ports);
/// DefaultZone= of firewalld.conf ("public" when absent).
std::string FirewalldDefaultZone(std::string_view firewalld_conf);

/// The verdict of one zone for inbound TCP to `port`; `service_ports`
/// resolves service names.
Outcome FirewalldZoneVerdict(
    const FirewalldZone& zone, int port,
    const std::map<std::string,
                   std::vector<std::pair<std::string, std::string>>>&
        service_ports);

/// True when `spec` ("25", "1000-2000", "1000:2000", "25,587", "any") covers
/// `port`.
bool PortSpecCovers(std::string_view spec, int port);

}  // namespace mailflow::firewall
