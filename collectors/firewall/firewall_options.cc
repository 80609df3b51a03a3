#include "collectors/firewall/firewall_options.h"

#include <utility>

namespace mailflow {

namespace {

// Reads every key of `options` into `*o` (types and ranges only).
bool ReadValues(ConfigMap& options, FirewallOptions* o, std::string* err) {
  return options.GetString("nft_path", &o->nft, err) &&
         options.GetString("iptables_nft_save_path", &o->iptables_nft_save,
                           err) &&
         options.GetString("ip6tables_nft_save_path", &o->ip6tables_nft_save,
                           err) &&
         options.GetString("iptables_legacy_save_path",
                           &o->iptables_legacy_save, err) &&
         options.GetString("ip6tables_legacy_save_path",
                           &o->ip6tables_legacy_save, err) &&
         options.GetString("ipv6", &o->ipv6, err) &&
         options.GetString("ufw_directory", &o->ufw_directory, err) &&
         options.GetString("ufw_defaults_file", &o->ufw_defaults_file, err) &&
         options.GetString("firewalld_directory", &o->firewalld_directory,
                           err) &&
         options.GetString("firewalld_lib_directory",
                           &o->firewalld_lib_directory, err) &&
         options.GetDuration("command_timeout", std::chrono::milliseconds(100),
                             std::chrono::minutes(1), &o->command_timeout,
                             err) &&
         options.GetDuration("ruleset_max_age", std::chrono::seconds(1),
                             std::chrono::hours(24 * 7), &o->ruleset_max_age,
                             err);
}

// The values' meaning: ipv6's words, absolute tool paths.
bool Validate(const ConfigMap& options, const FirewallOptions& o,
              std::string* err) {
  if (o.ipv6 != "auto" && o.ipv6 != "true" && o.ipv6 != "false") {
    *err = options.Where("ipv6") +
           ": ipv6 must be auto, true or false, got \"" + o.ipv6 + "\"";
    return false;
  }
  for (const std::string* p :
       {&o.nft, &o.iptables_nft_save, &o.ip6tables_nft_save,
        &o.iptables_legacy_save, &o.ip6tables_legacy_save}) {
    if (p->empty() || (*p)[0] != '/') {
      *err = options.Where() +
             ": firewall tool paths must be absolute, got \"" + *p + "\"";
      return false;
    }
  }
  return true;
}

}  // namespace

bool ParseFirewallOptions(const Config& config, ConfigMap options,
                          FirewallOptions* out, std::string* err) {
  FirewallOptions o;
  o.ports = config.smtp_ports;
  o.proc = config.paths.proc;
  o.postfix_config_directory = config.paths.postfix_config_directory;
  if (!ReadValues(options, &o, err) || !Validate(options, o, err) ||
      !options.Finish(err)) {
    return false;
  }
  *out = std::move(o);
  return true;
}

}  // namespace mailflow
