// FirewallOptions: `collectors: firewall:` of the config file.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "config/config.h"
#include "config/config_map.h"

namespace mailflow {

/// The options of `collectors: firewall:` plus what the collector takes
/// from the global config (smtp_ports, paths).
struct FirewallOptions {
  std::vector<int64_t> ports;
  std::string proc;
  std::string postfix_config_directory;
  std::string nft = "/usr/sbin/nft";
  std::string iptables_nft_save = "/usr/sbin/iptables-nft-save";
  std::string ip6tables_nft_save = "/usr/sbin/ip6tables-nft-save";
  std::string iptables_legacy_save = "/usr/sbin/iptables-legacy-save";
  std::string ip6tables_legacy_save = "/usr/sbin/ip6tables-legacy-save";
  std::string ipv6 = "auto";  // auto, true, false
  std::string ufw_directory = "/etc/ufw";
  std::string ufw_defaults_file = "/etc/default/ufw";
  std::string firewalld_directory = "/etc/firewalld";
  std::string firewalld_lib_directory = "/usr/lib/firewalld";
  std::chrono::milliseconds command_timeout{5000};
  /// The kernel's rulesets are read again at least this often even when no
  /// change signal moved; 0: every scrape (no reuse).
  std::chrono::milliseconds ruleset_max_age{3600 * 1000};
};

/// Fills `*out` from `config` (smtp_ports, paths) and `options` (the
/// `collectors: firewall:` mapping). False with `*err` naming
/// file:line:column on a bad or unknown option. Pure (reads no files).
bool ParseFirewallOptions(const Config& config, ConfigMap options,
                          FirewallOptions* out, std::string* err);

}  // namespace mailflow
